import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { get, Problem } from '../api';
import { navigate, segment } from '../router';
import { scanned } from './SpecimensLifecycle';
import { SpecimensDetail } from './SpecimensDetail';
import { SpecimensList } from './SpecimensList';
import './Specimens.css';

/** The Specimens screen: the list at /specimens, one specimen at /specimens/<id>; the scanner field on both. */
export function Specimens({ rest }: { rest: string }) {
  const id = segment(rest.replace(/^\/+/, ''));
  return (
    <div class="specimens">
      <ScanField />
      {id ? <SpecimensDetail key={id} id={id} /> : <SpecimensList />}
    </div>
  );
}

const EDITABLE = 'input, textarea, select, [contenteditable=""], [contenteditable="true"]';

/**
 * A USB barcode scanner is a keyboard: it types the code and Enter. The field takes it and
 * opens the specimen. It has focus when the page opens on a desktop (not on a phone, where
 * focus would raise the on-screen keyboard), and a code typed while nothing editable has
 * focus (after clicking a button, say) goes into it rather than being lost.
 */
function ScanField() {
  const input = useRef<HTMLInputElement>(null);
  const value = useSignal('');
  const message = useSignal<string | null>(null);
  const busy = useSignal(false);

  useEffect(() => {
    // After the shell has moved focus to the page heading, so the field keeps it.
    const timer = setTimeout(() => {
      if (matchMedia('(hover: hover) and (pointer: fine)').matches && !document.querySelector('[role=dialog]')) input.current?.focus();
    }, 0);
    function redirect(e: KeyboardEvent) {
      const target = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey || e.key.length !== 1 || e.key === ' ') return;
      if (target?.closest(EDITABLE) || document.querySelector('[role=dialog]')) return;
      input.current?.focus(); // the key's character lands in the field that now has focus
    }
    document.addEventListener('keydown', redirect);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('keydown', redirect);
    };
  }, []);

  async function open(e: Event) {
    e.preventDefault();
    const target = scanned(value.value);
    if (!target || busy.value) return;
    busy.value = true;
    message.value = null;
    try {
      let id: string;
      if ('id' in target) {
        id = (await get<{ id: string }>(`/api/v1/specimens/${encodeURIComponent(target.id)}`)).id;
      } else {
        id = (await get<{ specimen_id: string }>(`/api/v1/samples/${encodeURIComponent(target.barcode)}`)).specimen_id;
      }
      value.value = '';
      navigate(`/specimens/${id}`);
    } catch (failure) {
      const code = 'id' in target ? target.id : target.barcode;
      if (failure instanceof Problem && failure.status === 404) {
        message.value = `No specimen has ${'id' in target ? 'the id' : 'the barcode'} ${code}.`;
      } else if (failure instanceof Problem && failure.status === 400) {
        message.value = `${code} is not a specimen barcode (its format or check character is wrong): scan it again.`;
      } else {
        message.value = failure instanceof Error ? failure.message : String(failure);
      }
      input.current?.select(); // the next scan replaces the wrong code
    } finally {
      busy.value = false;
    }
  }

  return (
    <form class="scan" role="search" aria-label="Open a specimen by barcode" onSubmit={open}>
      <label for="scan-barcode">Scan a barcode</label>
      <div class="scan-row">
        <input
          id="scan-barcode"
          name="barcode"
          ref={input}
          value={value.value}
          onInput={(e) => (value.value = e.currentTarget.value)}
          autoComplete="off"
          autoCapitalize="characters"
          spellcheck={false}
          placeholder="SP2026000123K or SP-2026-000123"
          aria-invalid={message.value ? true : undefined}
          aria-describedby={message.value ? 'scan-barcode-error' : 'scan-barcode-hint'}
        />
        <button type="submit" disabled={busy.value}>
          Open
        </button>
      </div>
      {message.value ? (
        <p id="scan-barcode-error" class="field-error" role="alert">
          {message.value}
        </p>
      ) : (
        <p id="scan-barcode-hint" class="hint">
          A scanner types the code and Enter; the specimen opens.
        </p>
      )}
    </form>
  );
}
