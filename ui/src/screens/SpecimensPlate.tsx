import { useSignal } from '@preact/signals';
import { call, Problem } from '../api';
import { can } from '../session';
import { PLATE_COLUMNS, PLATE_ROWS, Specimen } from './SpecimensLifecycle';

/**
 * Where the specimen sits: a 96-well plate (rows A–H, columns 1–12) with its well marked,
 * and, for those who may place specimens, a form to set plate and well (PUT location; the
 * API's 400 at the field). The grid is a picture; its caption says the same in words.
 */
export function SpecimensPlate({ specimen, onLocated }: { specimen: Specimen; onLocated: (s: Specimen) => void }) {
  const at = specimen.location;
  const plate = useSignal(at?.plate ?? '');
  const well = useSignal(at?.well ?? '');
  const problem = useSignal<Problem | null>(null);
  const busy = useSignal(false);
  const saved = useSignal(false);
  // A final specimen accepts no location change; the API says so by allowing it no action.
  const mayLocate = can('specimens.locate') && specimen.allowed_actions.length > 0;

  async function submit(e: Event) {
    e.preventDefault();
    if (busy.value) return;
    busy.value = true;
    problem.value = null;
    saved.value = false;
    try {
      const moved = await call<Specimen>('PUT', `/api/v1/specimens/${encodeURIComponent(specimen.id)}/location`, {
        plate: plate.value.trim(),
        well: well.value.trim().toUpperCase(),
      });
      saved.value = true;
      onLocated(moved);
    } catch (failure) {
      problem.value = failure instanceof Problem ? failure : new Problem(0, String(failure));
    } finally {
      busy.value = false;
    }
  }

  const error = (field: string) => problem.value?.at(field);
  const input = (field: 'plate' | 'well', label: string, value: { value: string }, attrs: Record<string, unknown>) => (
    <div class="field">
      <label for={`locate-${field}`}>{label}</label>
      <input
        id={`locate-${field}`}
        value={value.value}
        onInput={(e) => (value.value = e.currentTarget.value)}
        autoComplete="off"
        aria-invalid={error(field) ? true : undefined}
        aria-describedby={error(field) ? `locate-${field}-error` : undefined}
        {...attrs}
      />
      {error(field) && (
        <p id={`locate-${field}-error`} class="field-error">
          {error(field)}
        </p>
      )}
    </div>
  );

  return (
    <section class="screen plate-card" aria-labelledby="plate-heading">
      <h2 id="plate-heading">Location</h2>
      <figure class="plate">
        <div class="wells" aria-hidden="true">
          <span />
          {PLATE_COLUMNS.map((c) => (
            <span key={c} class="axis">
              {c}
            </span>
          ))}
          {PLATE_ROWS.map((r) => [
            <span key={r} class="axis">
              {r}
            </span>,
            ...PLATE_COLUMNS.map((c) => <span key={`${r}${c}`} class={at?.well === `${r}${c}` ? 'well here' : 'well'} data-well={`${r}${c}`} />),
          ])}
        </div>
        <figcaption>{at ? `Plate ${at.plate}, well ${at.well}` : 'Not placed on a plate yet.'}</figcaption>
      </figure>
      {mayLocate && (
        <form class="locate" onSubmit={submit} noValidate aria-label="Set location">
          {input('plate', 'Plate', plate, { maxLength: 64 })}
          {input('well', 'Well (A1–H12)', well, { maxLength: 3, autoCapitalize: 'characters' })}
          <button type="submit" disabled={busy.value}>
            Set location
          </button>
          {problem.value && !error('plate') && !error('well') && (
            <p class="error wide" role="alert">
              {problem.value.detail}
            </p>
          )}
          {saved.value && !problem.value && (
            <p class="hint wide" role="status">
              Location saved.
            </p>
          )}
        </form>
      )}
    </section>
  );
}
