import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { call, fetchFile, get, Problem } from '../api';
import { Confirm } from '../components/Dialogs';
import { saveFile } from '../components/saveFile';
import { onChange, onReload } from '../events';
import { instant } from '../format';
import { can } from '../session';
import { byReport, JOB_WORDS, nextReadIn, ReportJob, ReportVersion, shortHash, size, SpecimenReports, working } from './ReportsModel';

/** After the specimen is seen APPROVED, how long the panel looks for the report the node renders by itself. */
const AWAIT_AUTOMATIC_MS = 60_000;

/**
 * The specimen's reports: each stored version (newest first) with its PDF and workbook, pages,
 * SHA-256 and recipients; render jobs not done yet, a failed one with its reason. Live: the
 * specimen's own changes (approved, reported, delivered) read it again, and while a job works
 * (or, for a minute after approval, until the automatic one shows) it is read every few seconds,
 * since a job's progress is not in the live stream.
 */
export function SpecimensReports({ id, state }: { id: string; state: string }) {
  const data = useSignal<SpecimenReports | null>(null);
  const failure = useSignal<string | null>(null);
  const notice = useSignal<{ tone: 'ok' | 'error'; text: string } | null>(null);
  const confirming = useSignal<ReportVersion | null>(null);
  const busy = useSignal(false);
  const awaiting = useSignal(false);
  const latest = useRef(0);
  /** The job the user queued from this panel: when it leaves the pending list, the notice says what came of it. */
  const followed = useRef<ReportJob | null>(null);

  async function load() {
    const mine = ++latest.current;
    try {
      const answer = await get<SpecimenReports>(`/api/v1/specimens/${encodeURIComponent(id)}/reports`);
      if (mine !== latest.current) return;
      data.value = answer;
      failure.value = null;
      const job = followed.current;
      const now = job && answer.pending.find((j) => j.job_id === job.job_id);
      if (job && (!now || now.status === 'failed')) {
        followed.current = null;
        const stored = answer.reports.find((r) => r.report_id === job.report_id);
        notice.value = now
          ? { tone: 'error', text: `${job.report_id} could not be rendered: ${now.last_error ?? 'no reason given'}` }
          : { tone: 'ok', text: stored ? `${job.report_id} version ${stored.version} is stored.` : `${job.report_id} is rendered.` };
      }
    } catch (f) {
      if (mine === latest.current) failure.value = f instanceof Error ? f.message : String(f);
    }
  }

  useEffect(() => {
    void load();
    const stops = [onChange('specimen', (c) => c.id === id && void load()), onReload(() => void load())];
    return () => stops.forEach((stop) => stop());
  }, [id]);

  // Approval starts the automatic render a moment later: look for it for a while, and offer
  // no "Render report" meanwhile (a second, manual report would be rendered beside it).
  useEffect(() => {
    if (state !== 'APPROVED') return;
    awaiting.value = true;
    void load();
    const timer = setTimeout(() => (awaiting.value = false), AWAIT_AUTOMATIC_MS);
    return () => clearTimeout(timer);
  }, [state]);

  const current = data.value;
  useEffect(() => {
    if (!current) return;
    const lookingForAutomatic = awaiting.value && current.reports.length === 0 ? 2_000 : null;
    const delay = nextReadIn(current.pending, Date.now()) ?? lookingForAutomatic;
    if (delay === null) return;
    const timer = setTimeout(() => void load(), delay);
    return () => clearTimeout(timer);
  }, [current, awaiting.value]);

  function queued(job: ReportJob, text: string) {
    followed.current = job;
    if (data.value) data.value = { ...data.value, pending: [job, ...data.value.pending.filter((j) => j.job_id !== job.job_id)] };
    notice.value = { tone: 'ok', text };
  }

  async function act(send: () => Promise<ReportJob>, done: (job: ReportJob) => string) {
    if (busy.value) return;
    busy.value = true;
    notice.value = null;
    try {
      const job = await send();
      queued(job, done(job));
    } catch (f) {
      notice.value = { tone: 'error', text: `Not done: ${f instanceof Problem ? f.detail : f instanceof Error ? f.message : String(f)}` };
      void load();
    } finally {
      busy.value = false;
    }
  }

  const renderAgain = (v: ReportVersion) =>
    act(
      () => call<ReportJob>('POST', `/api/v1/reports/${encodeURIComponent(v.report_id)}/versions`),
      () => `${v.report_id} is queued to be rendered again as a new version; version ${v.version} stays as it is.`,
    );
  const retry = (job: ReportJob) =>
    act(() => call<ReportJob>('POST', `/api/v1/report-jobs/${job.job_id}/retry`), () => `Render job ${job.job_id} is queued again.`);
  const request = () =>
    act(() => call<ReportJob>('POST', '/api/v1/reports', { specimen_ids: [id] }), (job) => `Report ${job.report_id} is queued to be rendered.`);

  async function download(v: ReportVersion, kind: 'pdf' | 'xlsx') {
    notice.value = null;
    try {
      const accept = kind === 'pdf' ? 'application/pdf' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      saveFile(await fetchFile(kind === 'pdf' ? v.pdf_url : v.xlsx_url, accept), `${v.report_id}-v${v.version}.${kind}`);
    } catch (f) {
      notice.value = { tone: 'error', text: `The file could not be downloaded: ${f instanceof Error ? f.message : String(f)}` };
    }
  }

  async function copy(hash: string, what: string) {
    try {
      await navigator.clipboard.writeText(hash);
      notice.value = { tone: 'ok', text: `Copied the ${what}'s SHA-256.` };
    } catch {
      // No clipboard outside a secure context (plain http on another host): the hash is shown to copy by hand.
      notice.value = { tone: 'ok', text: `SHA-256 of the ${what}: ${hash}` };
    }
  }

  const groups = current ? byReport(current.reports) : [];
  const pending = current?.pending ?? [];
  const approvedOnward = ['APPROVED', 'REPORTED', 'DELIVERED'].includes(state);
  return (
    <section class="screen reports-card" aria-labelledby="reports-heading" aria-busy={current === null}>
      <h2 id="reports-heading">Reports</h2>
      {failure.value && !current && (
        <p class="error" role="alert">
          {failure.value}
        </p>
      )}
      {!current && !failure.value && <p role="status">Loading reports…</p>}
      {pending.length > 0 && (
        <ul class="report-jobs" aria-label="Render jobs not done">
          {pending.map((j) => (
            <li key={j.job_id} class={`report-job job-${j.status}`} data-job={j.job_id} data-status={j.status}>
              <span class={`status job-status-${j.status}`}>{JOB_WORDS[j.status]}</span>{' '}
              <span>
                {j.report_id}
                {j.status === 'queued' && j.attempts > 0 ? `, try ${j.attempts + 1} at ${instant(j.next_attempt_at)}` : ''}
                {working(j) && <span class="visually-hidden"> (this panel updates when it is stored)</span>}
              </span>
              {j.last_error && <span class="job-reason">{j.status === 'failed' ? 'Failed: ' : 'Last try failed: '}{j.last_error}</span>}
              {j.status === 'failed' && can('reports.retry') && (
                <button type="button" disabled={busy.value} onClick={() => void retry(j)}>
                  Try again
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {current && groups.length === 0 && pending.length === 0 && (
        <p class="empty">
          {approvedOnward ? 'No report stored for this specimen.' : 'A report is rendered when the specimen is approved.'}
          {awaiting.value && ' Waiting for the automatic report…'}
        </p>
      )}
      {current && groups.length === 0 && pending.length === 0 && state === 'APPROVED' && !awaiting.value && can('reports.request') && (
        <button type="button" disabled={busy.value} onClick={() => void request()}>
          Render report
        </button>
      )}
      {groups.map((g) => (
        <div class="report" key={g.reportId} data-report={g.reportId}>
          <div class="report-head">
            <h3>
              {g.reportId}
              <span class="id">
                {g.versions[0].specimen_ids.length > 1 ? `covers ${g.versions[0].specimen_ids.join(', ')}` : 'this specimen'}
                {g.versions[0].client_id ? ` · client ${g.versions[0].client_id}` : ''}
              </span>
            </h3>
            {can('reports.rerender') && (
              <button type="button" disabled={busy.value} onClick={() => (confirming.value = g.versions[0])}>
                Render again
              </button>
            )}
          </div>
          <table class="rows report-versions">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Rendered</th>
                <th scope="col">Pages</th>
                <th scope="col">PDF SHA-256</th>
                <th scope="col">Recipients</th>
                <th scope="col">Files</th>
              </tr>
            </thead>
            <tbody>
              {g.versions.map((v) => (
                <tr key={v.version} data-version={v.version}>
                  <td data-label="Version" class="title">
                    <div>
                      v{v.version}
                      {v.version === g.versions[0].version && g.versions.length > 1 && <span class="id">latest</span>}
                    </div>
                  </td>
                  <td data-label="Rendered">
                    <time dateTime={v.rendered_at}>{instant(v.rendered_at)}</time>
                  </td>
                  <td data-label="Pages">{v.pages}</td>
                  <td data-label="PDF SHA-256">
                    <span class="hash">
                      <code title={v.pdf_sha256} data-sha256={v.pdf_sha256}>
                        {shortHash(v.pdf_sha256)}
                      </code>
                      <button type="button" class="quiet copy" onClick={() => void copy(v.pdf_sha256, `PDF of version ${v.version}`)} aria-label={`Copy the SHA-256 of version ${v.version}'s PDF`}>
                        Copy
                      </button>
                    </span>
                  </td>
                  <td data-label="Recipients">{v.recipients.length ? v.recipients.join(', ') : <span class="empty">none (delivered by hand)</span>}</td>
                  <td data-label="Files">
                    <span class="downloads">
                      <button type="button" onClick={() => void download(v, 'pdf')} aria-label={`Download PDF of ${v.report_id} version ${v.version} (${size(v.pdf_bytes)})`}>
                        PDF
                      </button>
                      <button type="button" onClick={() => void download(v, 'xlsx')} aria-label={`Download Excel workbook of ${v.report_id} version ${v.version} (${size(v.xlsx_bytes)})`}>
                        Excel
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
      {notice.value && (
        <p class={`notice notice-${notice.value.tone}`} role={notice.value.tone === 'ok' ? 'status' : 'alert'}>
          {notice.value.text}
        </p>
      )}
      {confirming.value && (
        <Confirm
          title={`Render ${confirming.value.report_id} again`}
          message={`A new version (${confirming.value.version + 1}) is rendered from the specimens as they are now and stored beside the earlier ones, which stay downloadable. With e-mail delivery on, it is sent to its recipients.`}
          confirm="Render again"
          onClose={() => (confirming.value = null)}
          onConfirm={() => {
            const v = confirming.value!;
            confirming.value = null;
            void renderAgain(v);
          }}
        />
      )}
    </section>
  );
}
