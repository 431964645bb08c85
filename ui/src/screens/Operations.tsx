import { useSignal } from '@preact/signals';
import { ComponentChildren } from 'preact';
import { call, Problem } from '../api';
import { usePaged } from '../components/usePaged';
import { instant } from '../format';
import { navigate } from '../router';
import { can } from '../session';
import { Delivery, ReportJob } from './ReportsModel';
import './Operations.css';

const PAGE_SIZE = 25;

/**
 * What the lab's automation could not finish and waits for a person: render jobs that failed
 * after their tries (or were refused: too many pages), and report deliveries that became dead
 * letters. Each with its reason and "Try again". Neither is in the live stream, so each list
 * has a Refresh button and is read again whenever the stream says lists must be.
 */
export function Operations(_: { rest: string }) {
  return (
    <div class="operations">
      {can('reports.jobs') && <FailedRenderJobs />}
      {can('deliveries.list') && <FailedDeliveries />}
    </div>
  );
}

function SpecimenLinks({ ids }: { ids: string[] }) {
  return (
    <span class="specimen-links">
      {ids.map((id) => (
        <a
          key={id}
          href={`/specimens/${id}`}
          onClick={(e) => {
            e.preventDefault();
            navigate(`/specimens/${id}`);
          }}
        >
          {id}
        </a>
      ))}
    </span>
  );
}

/** One retry at a time per list; the row leaves the list once the API has queued it again, and what happened is said. */
function useRetry<T>(list: { rows: { value: T[] }; reload: () => Promise<void> }, keyOf: (row: T) => string) {
  const busy = useSignal<string | null>(null);
  const notice = useSignal<{ tone: 'ok' | 'error'; text: string } | null>(null);
  async function retry(row: T, path: string, done: string) {
    if (busy.value) return;
    busy.value = keyOf(row);
    notice.value = null;
    try {
      await call('POST', path);
      list.rows.value = list.rows.value.filter((r) => keyOf(r) !== keyOf(row));
      notice.value = { tone: 'ok', text: done };
    } catch (f) {
      notice.value = { tone: 'error', text: `Not retried: ${f instanceof Problem ? f.detail : f instanceof Error ? f.message : String(f)}` };
      void list.reload();
    } finally {
      busy.value = null;
    }
  }
  return { busy, notice, retry };
}

function Section({ id, title, hint, list, children, notice, empty, count }: {
  id: string;
  title: string;
  hint: string;
  list: { loading: { value: boolean }; error: { value: string | null }; cursor: { value: string | null }; reload: () => Promise<void>; more: () => Promise<void> };
  notice: { tone: 'ok' | 'error'; text: string } | null;
  empty: string;
  count: number;
  children: ComponentChildren;
}) {
  return (
    <section class="screen" aria-labelledby={id}>
      <div class="screen-head">
        <h2 id={id}>{title}</h2>
        <button type="button" onClick={() => void list.reload()} disabled={list.loading.value}>
          Refresh
        </button>
      </div>
      <p class="hint">{hint}</p>
      {list.error.value && (
        <p class="error" role="alert">
          {list.error.value}
        </p>
      )}
      {notice && (
        <p class={`notice notice-${notice.tone}`} role={notice.tone === 'ok' ? 'status' : 'alert'}>
          {notice.text}
        </p>
      )}
      {count > 0 ? children : !list.loading.value && !list.error.value && <p class="empty">{empty}</p>}
      <div class="more">
        {list.loading.value && <span role="status">Loading…</span>}
        {!list.loading.value && list.cursor.value && (
          <button type="button" onClick={() => void list.more()}>
            Show more
          </button>
        )}
      </div>
    </section>
  );
}

function FailedRenderJobs() {
  const list = usePaged<ReportJob>(`/api/v1/report-jobs?status=failed&limit=${PAGE_SIZE}`, (j) => String(j.job_id));
  const { busy, notice, retry } = useRetry(list, (j) => String(j.job_id));
  return (
    <Section
      id="failed-jobs-heading"
      title="Reports that could not be rendered"
      hint="Render jobs that failed after their tries, or were refused (over the page or size cap). Trying again queues the job now with its tries counted afresh."
      list={list}
      notice={notice.value}
      empty="No failed render job."
      count={list.rows.value.length}
    >
      <table class="rows">
        <thead>
          <tr>
            <th scope="col">Report</th>
            <th scope="col">Specimens</th>
            <th scope="col">Why it failed</th>
            <th scope="col">Tries</th>
            <th scope="col">Asked</th>
            <th scope="col">
              <span class="visually-hidden">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.rows.value.map((j) => (
            <tr key={j.job_id} data-job={j.job_id}>
              <td data-label="Report" class="title">
                <div>
                  <span class="nowrap">{j.report_id}</span>
                  <span class="id">job {j.job_id}</span>
                </div>
              </td>
              <td data-label="Specimens">
                <SpecimenLinks ids={j.specimen_ids} />
              </td>
              <td data-label="Why it failed" class="reason">
                {j.last_error ?? '—'}
              </td>
              <td data-label="Tries">{j.attempts}</td>
              <td data-label="Asked">
                <div>
                  <time dateTime={j.requested_at}>{instant(j.requested_at)}</time>
                  <span class="id">by {j.requested_by}</span>
                </div>
              </td>
              <td data-label="Action">
                {can('reports.retry') && (
                  <button type="button" disabled={busy.value !== null} onClick={() => void retry(j, `/api/v1/report-jobs/${j.job_id}/retry`, `Render job ${j.job_id} (${j.report_id}) is queued again.`)}>
                    {busy.value === String(j.job_id) ? 'Queuing…' : 'Try again'}
                    <span class="visually-hidden"> {j.report_id}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function FailedDeliveries() {
  const list = usePaged<Delivery>(`/api/v1/deliveries?status=failed&limit=${PAGE_SIZE}`, (d) => d.id);
  const { busy, notice, retry } = useRetry(list, (d) => d.id);
  return (
    <Section
      id="failed-deliveries-heading"
      title="Reports that could not be delivered"
      hint="E-mails the recipient's server refused, or that failed on every try (dead letters); the specimen stays Reported. Trying again sends with the same Message-ID, so a copy that did arrive folds with it."
      list={list}
      notice={notice.value}
      empty="No failed delivery."
      count={list.rows.value.length}
    >
      <table class="rows">
        <thead>
          <tr>
            <th scope="col">Recipient</th>
            <th scope="col">Report</th>
            <th scope="col">Why it failed</th>
            <th scope="col">Tries</th>
            <th scope="col">Failed</th>
            <th scope="col">
              <span class="visually-hidden">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.rows.value.map((d) => (
            <tr key={d.id} data-delivery={d.id}>
              <td data-label="Recipient" class="title">
                <div>
                  {d.recipient}
                  <span class="id">{d.id}</span>
                </div>
              </td>
              <td data-label="Report">
                <div>
                  <span class="nowrap">
                    {d.report_id} v{d.version}
                  </span>
                  {d.client_id && <span class="id">client {d.client_id}</span>}
                  <SpecimenLinks ids={d.specimen_ids} />
                </div>
              </td>
              <td data-label="Why it failed" class="reason">
                {d.last_error ?? '—'}
              </td>
              <td data-label="Tries">{d.attempts}</td>
              <td data-label="Failed">
                <time dateTime={d.failed_at ?? undefined}>{instant(d.failed_at)}</time>
              </td>
              <td data-label="Action">
                {can('deliveries.retry') && (
                  <button type="button" disabled={busy.value !== null} onClick={() => void retry(d, `/api/v1/deliveries/${d.id}/retry`, `The delivery to ${d.recipient} is queued again.`)}>
                    {busy.value === d.id ? 'Queuing…' : 'Try again'}
                    <span class="visually-hidden"> to {d.recipient}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
