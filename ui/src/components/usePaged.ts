import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { get, Page, Problem } from '../api';
import { onReload } from '../events';

/**
 * One list read from the API a page at a time with its cursor (never an unbounded set).
 * `query` is the path with its filters (no cursor); the list reads again when it changes and
 * when the live stream says lists must be re-read. `patch` updates rows in place from live changes.
 */
export function usePaged<T>(query: string, keyOf: (row: T) => string) {
  const rows = useSignal<T[]>([]);
  const cursor = useSignal<string | null>(null);
  const loading = useSignal(true);
  const error = useSignal<string | null>(null);
  /** The API's refusal of the query, so a filter's 400 can be shown at the filter it names. */
  const problem = useSignal<Problem | null>(null);

  // Only the newest read may land: a reply to an older query (the filter changed, a reload
  // came, "show more" was still on its way) would mix another list's rows and cursor in.
  const latest = useRef(0);

  async function load(after: string | null): Promise<void> {
    const read = ++latest.current;
    loading.value = true;
    error.value = null;
    problem.value = null;
    try {
      const separator = query.includes('?') ? '&' : '?';
      const page = await get<Page<T>>(after ? `${query}${separator}after=${encodeURIComponent(after)}` : query);
      if (read !== latest.current) return;
      rows.value = after ? [...rows.value, ...page.items.filter((r) => !rows.value.some((o) => keyOf(o) === keyOf(r)))] : page.items;
      cursor.value = page.next_cursor;
    } catch (failure) {
      if (read !== latest.current) return;
      error.value = failure instanceof Error ? failure.message : String(failure);
      problem.value = failure instanceof Problem ? failure : null;
    } finally {
      if (read === latest.current) loading.value = false;
    }
  }

  useEffect(() => {
    void load(null);
    return onReload(() => void load(null));
  }, [query]);

  return {
    rows,
    cursor,
    loading,
    error,
    problem,
    reload: () => load(null),
    more: () => load(cursor.value),
    /** Applies a change to the row with this key, if the list holds it; answers whether it did. */
    patch(key: string, change: (row: T) => T): boolean {
      let found = false;
      rows.value = rows.value.map((r) => (keyOf(r) === key ? ((found = true), change(r)) : r));
      return found;
    },
  };
}
