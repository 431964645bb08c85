import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { fetchFile } from '../api';
import { Specimen } from './SpecimensLifecycle';

/**
 * The tube label: the node's Code 128 PNG (GET /specimens/{id}/label) with the id and client
 * in words. The PNG needs the Authorization header, so it is fetched and drawn on a canvas:
 * the page's Content-Security-Policy admits images from its own origin only, not blob: URLs.
 * "Print label" prints the label alone (Specimens.css, print rules).
 */
export function SpecimensLabel({ specimen }: { specimen: Specimen }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const state = useSignal<'loading' | 'ready' | 'failed'>('loading');

  useEffect(() => {
    let gone = false;
    state.value = 'loading';
    fetchFile(`/api/v1/specimens/${encodeURIComponent(specimen.id)}/label`, 'image/png')
      .then((png) => createImageBitmap(png))
      .then((image) => {
        const c = canvas.current;
        if (gone || !c) return;
        c.width = image.width;
        c.height = image.height;
        c.getContext('2d')?.drawImage(image, 0, 0);
        state.value = 'ready';
      })
      .catch(() => !gone && (state.value = 'failed'));
    return () => {
      gone = true;
    };
  }, [specimen.id, specimen.barcode]);

  function print() {
    // The print stylesheet shows the label alone only while printing from here; Ctrl+P prints the page.
    document.body.classList.add('printing-label');
    const done = () => {
      document.body.classList.remove('printing-label');
      window.removeEventListener('afterprint', done);
    };
    window.addEventListener('afterprint', done);
    window.print();
  }

  return (
    <section class="screen label-card" aria-labelledby="label-heading">
      <h2 id="label-heading">Label</h2>
      <div class="tube-label" data-label-state={state.value}>
        <canvas ref={canvas} role="img" aria-label={`Barcode ${specimen.barcode}`} />
        <p class="label-code">{specimen.barcode}</p>
        <p class="label-words">
          {specimen.id} · {specimen.type} · {specimen.client_ref}
        </p>
      </div>
      {state.value === 'failed' && (
        <p class="error" role="alert">
          The label image could not be loaded.
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={print} disabled={state.value !== 'ready'}>
          Print label
        </button>
      </div>
    </section>
  );
}
