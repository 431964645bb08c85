import { signal } from '@preact/signals';

/** The path the app shows; the node answers every non-API path with index.html, so a reload keeps it. */
export const path = signal(location.pathname);

window.addEventListener('popstate', () => {
  path.value = location.pathname;
});

/** A path segment as it was meant; a malformed escape (a hand-edited link) is kept as typed, so the page says "not found" instead of failing. */
export function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export function navigate(to: string): void {
  if (to === location.pathname) return;
  history.pushState(null, '', to);
  path.value = to;
}
