import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { fetchFile, get, Problem } from '../api';
import { saveFile } from '../components/saveFile';
import { usePaged } from '../components/usePaged';
import { onChange } from '../events';
import { Execution, finishedExecution, localOfInstant, rangeQuery, startedExecution, startedWithin } from './DevicesModel';
import { devicePath, Holder, To } from './DevicesParts';

const PAGE_SIZE = 50;
const EXPORTS = [
  { label: 'CSV', accept: 'text/csv', extension: 'csv' },
  { label: 'NDJSON', accept: 'application/x-ndjson', extension: 'ndjson' },
] as const;

/** Where the search starts when the page opens: the last seven days, from midnight. */
function aWeekAgo(): string {
  const d = new Date();
  d.setDate(d.getDate() - 7);
  d.setHours(0, 0, 0, 0);
  return localOfInstant(d);
}

// A log is read to the second (several operations start within a minute), in the user's zone.
const toTheSecond = new Intl.DateTimeFormat(undefined, {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});

function durationInWords(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

/**
 * A device's execution log: operations started in a time range (the user's wall clock, sent
 * as UTC), newest first, a page at a time with the API's cursor, and the same range exported
 * as CSV or NDJSON. Operations starting and ending in the range show up live.
 */
export function DeviceLogs({ id }: { id: string }) {
  const from = useSignal(aWeekAgo());
  const to = useSignal('');
  // The range the list shows: the inputs apply on Search, so typing does not reload the list.
  const shown = useSignal({ from: from.value, to: '' });
  const exporting = useSignal<string | null>(null);
  const exportProblem = useSignal<string | null>(null);
  const query = rangeQuery(id, shown.value.from, shown.value.to);
  const list = usePaged<Execution>(`/api/v1/execution-logs/search?${query}&limit=${PAGE_SIZE}`, (x) => x.execution_id);

  useEffect(
    () =>
      onChange('execution', (change) => {
        if (change.device_id !== id) return;
        if (list.patch(change.id, (row) => (change.type === 'execution.finished' ? finishedExecution(row, change) : row))) {
          // The change does not carry the operation's result: read the finished entry for it.
          if (change.type === 'execution.finished') {
            get<Execution>(`/api/v1/executions/${encodeURIComponent(change.id)}`)
              .then((full) => list.patch(full.execution_id, () => full))
              .catch(() => undefined);
          }
          return;
        }
        if (change.type === 'execution.started' && startedWithin(String(change.started_at), shown.value.from, shown.value.to)) {
          list.rows.value = [startedExecution(change), ...list.rows.value]; // newest first
        }
      }),
    [id],
  );

  async function download(kind: (typeof EXPORTS)[number]) {
    exporting.value = kind.label;
    exportProblem.value = null;
    try {
      const file = await fetchFile(`/api/v1/execution-logs/export?${query}`, kind.accept);
      const stamp = localOfInstant(new Date()).replace(/[-:]/g, '').replace('T', '-');
      saveFile(file, `${id}-executions-${stamp}.${kind.extension}`);
    } catch (e) {
      exportProblem.value = e instanceof Problem ? e.detail : String(e);
    } finally {
      exporting.value = null;
    }
  }

  const fieldError = (name: string) => list.problem.value?.at(name);
  const dateField = (name: 'start' | 'end', label: string, value: typeof from) => {
    const message = fieldError(name);
    return (
      <div class="field">
        <label for={`f-${name}`}>{label}</label>
        <input
          id={`f-${name}`}
          name={name}
          type="datetime-local"
          value={value.value}
          onInput={(e) => (value.value = e.currentTarget.value)}
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? `f-${name}-error` : undefined}
        />
        {message && (
          <p id={`f-${name}-error`} class="field-error">
            {message}
          </p>
        )}
      </div>
    );
  };

  const unplaced = list.problem.value ? !fieldError('start') && !fieldError('end') : Boolean(list.error.value);
  return (
    <section class="screen devices device-logs" aria-labelledby="logs-heading">
      <p class="crumbs">
        <To path="/devices">All devices</To> › <To path={devicePath(id)}>{id}</To>
      </p>
      <div class="screen-head">
        <h2 id="logs-heading">Execution log of {id}</h2>
      </div>
      <form
        class="log-range"
        onSubmit={(e) => {
          e.preventDefault();
          shown.value = { from: from.value, to: to.value };
        }}
      >
        {dateField('start', 'From (your time)', from)}
        {dateField('end', 'To (empty: until now)', to)}
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      <div class="exports" role="group" aria-label="Export this range">
        {EXPORTS.map((kind) => (
          <button key={kind.label} type="button" onClick={() => void download(kind)} disabled={exporting.value !== null}>
            {exporting.value === kind.label ? `Preparing ${kind.label}…` : `Download ${kind.label}`}
          </button>
        ))}
      </div>
      {exportProblem.value && (
        <p class="error" role="alert">
          {exportProblem.value}
        </p>
      )}
      {unplaced && (
        <p class="error" role="alert">
          {list.error.value}
        </p>
      )}
      {list.rows.value.length === 0 && !list.loading.value && !list.error.value ? (
        <p class="empty">No operations started on {id} in this range.</p>
      ) : (
        <table class="rows executions">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Operation</th>
              <th scope="col">Holder</th>
              <th scope="col">Status</th>
              <th scope="col">Duration</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {list.rows.value.map((x) => (
              <tr key={x.execution_id} data-execution={x.execution_id}>
                <td data-label="Started">
                  <time dateTime={x.started_at}>{toTheSecond.format(new Date(x.started_at))}</time>
                  <span class="id">{x.execution_id}</span>
                </td>
                <td data-label="Operation">{x.operation}</td>
                <td data-label="Holder">
                  <Holder id={x.workflow_id} />
                </td>
                <td data-label="Status">
                  <span class={`status status-${x.status}`}>{x.status}</span>
                </td>
                <td data-label="Duration">{durationInWords(x.duration_ms)}</td>
                <td data-label="Result" class="result">
                  {x.result ? <code>{JSON.stringify(x.result)}</code> : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="more">
        {list.loading.value && <span role="status">Loading…</span>}
        {!list.loading.value && list.cursor.value && (
          <button type="button" onClick={() => void list.more()}>
            Show older operations
          </button>
        )}
      </div>
    </section>
  );
}
