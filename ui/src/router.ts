import { signal } from '@preact/signals';

/** The path the app shows; the node answers every non-API path with index.html, so a reload keeps it. */
export const path = signal(location.pathname);

window.addEventListener('popstate', () => {
  path.value = location.pathname;
});

export function navigate(to: string): void {
  if (to === location.pathname) return;
  history.pushState(null, '', to);
  path.value = to;
}
