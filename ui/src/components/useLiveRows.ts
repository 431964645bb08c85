import { Signal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { Change, onChange } from '../events';

/**
 * Keeps a paged list (usePaged) up to date from the live stream: each change of these kinds of
 * entity goes through `apply`, which answers the rows after it (`morePages`: later pages are
 * not loaded yet, so a row that belongs after the loaded ones is left for them). A change that
 * arrives while a page is being read is held and applied to what the read brings, so a read
 * that started before the change does not undo it.
 */
export function useLiveRows<T>(
  list: { rows: Signal<T[]>; cursor: Signal<string | null>; loading: Signal<boolean> },
  entities: string[],
  apply: (rows: T[], change: Change, morePages: boolean) => T[],
  deps: unknown[] = [],
): void {
  const held = useRef<Change[]>([]);
  useEffect(
    () =>
      onChange(entities, (change) => {
        if (list.loading.value) held.current.push(change);
        else list.rows.value = apply(list.rows.value, change, list.cursor.value !== null);
      }),
    deps,
  );
  const loading = list.loading.value;
  useEffect(() => {
    if (loading || held.current.length === 0) return;
    const changes = held.current;
    held.current = [];
    list.rows.value = changes.reduce((rows, change) => apply(rows, change, list.cursor.value !== null), list.rows.value);
  }, [loading]);
}
