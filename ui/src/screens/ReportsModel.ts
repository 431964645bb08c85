// Reports as the specimen page and the operations page show them (docs/domain.md, Reports):
// shapes of the API's answers, the versions grouped by report, and how long to wait before
// reading a specimen's reports again while a render job is on its way.

/** One stored version (GET /specimens/{id}/reports, GET /reports/{id}). */
export interface ReportVersion {
  report_id: string;
  version: number;
  client_id: string | null;
  specimen_ids: string[];
  batch_key: string | null;
  recipients: string[];
  pages: number;
  pdf_sha256: string;
  xlsx_sha256: string;
  pdf_bytes: number;
  xlsx_bytes: number;
  rendered_at: string;
  rendered_by: string;
  render_ms: number;
  pdf_url: string;
  xlsx_url: string;
}

/** A render job (queued, rendering, stored: being filed, done, failed with last_error). */
export interface ReportJob {
  job_id: number;
  report_id: string;
  specimen_ids: string[];
  batch_key: string | null;
  status: 'queued' | 'rendering' | 'stored' | 'done' | 'failed';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  version: number | null;
  requested_by: string;
  requested_at: string;
}

export interface SpecimenReports {
  specimen_id: string;
  reports: ReportVersion[];
  pending: ReportJob[];
}

/** One report delivery to one recipient (GET /deliveries). */
export interface Delivery {
  id: string;
  report_id: string;
  version: number;
  recipient: string;
  client_id: string | null;
  specimen_ids: string[];
  message_id: string;
  status: 'queued' | 'accepted' | 'failed';
  attempts: number;
  queued_at: string;
  next_attempt_at: string | null;
  last_error: string | null;
  server_response: string | null;
  accepted_at: string | null;
  failed_at: string | null;
}

/** A report and its versions, newest first, as the panel lists them. */
export interface ReportGroup {
  reportId: string;
  versions: ReportVersion[];
}

/** The versions (newest first from the API, whatever their report) grouped by report, the report with the newest version first. */
export function byReport(versions: ReportVersion[]): ReportGroup[] {
  const groups = new Map<string, ReportVersion[]>();
  for (const v of versions) groups.set(v.report_id, [...(groups.get(v.report_id) ?? []), v]);
  return [...groups.entries()]
    .map(([reportId, vs]) => ({ reportId, versions: [...vs].sort((a, b) => b.version - a.version) }))
    .sort((a, b) => Date.parse(b.versions[0].rendered_at) - Date.parse(a.versions[0].rendered_at));
}

/** A job that will still add a version by itself (a failed one waits for a person). */
export const working = (job: ReportJob) => job.status !== 'failed' && job.status !== 'done';

export const JOB_WORDS: Record<ReportJob['status'], string> = {
  queued: 'queued',
  rendering: 'rendering',
  stored: 'stored, being filed',
  done: 'done',
  failed: 'failed',
};

/** How soon to read again while a job works: every 2 s, or at the job's next try when that is later (a back-off), at most 15 s. */
export function nextReadIn(jobs: ReportJob[], now: number): number | null {
  const active = jobs.filter(working);
  if (active.length === 0) return null;
  const soonest = Math.min(...active.map((j) => (j.status === 'queued' ? Date.parse(j.next_attempt_at) - now : 0)));
  return Math.min(15_000, Math.max(2_000, Number.isNaN(soonest) ? 2_000 : soonest));
}

/** The first 12 hex digits, enough to tell versions apart at a glance; the full hash is in the title and copied. */
export const shortHash = (hex: string) => (hex.length > 12 ? `${hex.slice(0, 12)}…` : hex);

/** "48 KB", "1.2 MB". */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
