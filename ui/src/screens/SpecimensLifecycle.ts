// The specimen lifecycle as the Specimens screen shows it: words for states and actions, the
// stepper's steps, the list's query and the analyses' time left. Which action is legal when,
// and for whom, is never decided here: the API answers a specimen's allowed_actions and the
// user's capabilities (GET /me); this file only names and draws them.

/** A specimen as GET /api/v1/specimens/{id} answers it. */
export interface Specimen {
  id: string;
  barcode: string;
  state: string;
  client_ref: string;
  type: string;
  tests_requested: string[];
  collected_at: string | null;
  priority: string;
  location: { plate: string; well: string } | null;
  replaces: string | null;
  replacement_id: string | null;
  allowed_actions: string[];
  /** The code of the client it was registered for. */
  client_id?: string | null;
  /** Addresses named on the specimen for its report, beside the client's report contacts. */
  report_recipients?: string[];
}

/** A row of GET /api/v1/specimens. */
export interface SpecimenRow {
  id: string;
  barcode: string;
  client_ref: string;
  type: string;
  state: string;
  priority: string;
  plate: string | null;
  well: string | null;
  replaces: string | null;
  received_at: string | null;
}

/** One entry of the chain of custody (GET /api/v1/specimens/{id}/history). */
export interface CustodyEntry {
  action: string;
  from: string | null;
  to: string;
  actor: string;
  role: string;
  at: string;
  reason: string | null;
  ip: string;
  request_id: string;
  data?: Record<string, unknown>;
}

/** An analysis run of the specimen (GET /api/v1/specimens/{id}/analyses). */
export interface AnalysisRun {
  id: string;
  pipeline: string | null;
  state: string;
  requested_at: string | null;
  deadline: string | null;
  finished_at: string | null;
  failure_reason: string | null;
}

/** The way through the lab when nothing goes wrong, in order (docs/domain.md, The lifecycle). */
export const MAIN_PATH = [
  'REGISTERED',
  'BARCODED',
  'RECEIVED',
  'IN_PREPARATION',
  'QC_PENDING',
  'QC_PASSED',
  'IN_EXPERIMENT',
  'IN_ANALYSIS',
  'IN_REVIEW',
  'APPROVED',
  'REPORTED',
  'DELIVERED',
];

/** Side branches with one way in: shown after the step they leave from. */
const BRANCH_PARENT: Record<string, string> = { QC_FAILED: 'QC_PENDING', ANALYSIS_FAILED: 'IN_ANALYSIS' };
/** Final states reached from several places: shown after the state they were entered from. */
const ENDINGS = ['RESAMPLE_REQUESTED', 'CANCELLED'];

export const STATE_WORDS: Record<string, string> = {
  REGISTERED: 'Registered',
  BARCODED: 'Barcoded',
  RECEIVED: 'Received',
  IN_PREPARATION: 'In preparation',
  QC_PENDING: 'QC pending',
  QC_PASSED: 'QC passed',
  QC_FAILED: 'QC failed',
  RESAMPLE_REQUESTED: 'Resample requested',
  IN_EXPERIMENT: 'In experiment',
  IN_ANALYSIS: 'In analysis',
  ANALYSIS_FAILED: 'Analysis failed',
  IN_REVIEW: 'In review',
  APPROVED: 'Approved',
  REPORTED: 'Reported',
  DELIVERED: 'Delivered',
  CANCELLED: 'Cancelled',
};

/** Every state, in the order a filter lists them. */
export const STATES = Object.keys(STATE_WORDS);

export const stateWords = (state: string | null | undefined) => (state ? STATE_WORDS[state] ?? state : '—');

/**
 * How each action reads on its button. `reason`: the API refuses it without one (the
 * TransitionTable's rule, which a 400 naming `reason` also reveals): the screen asks first.
 * `forward`: it moves the specimen along the main path, so its button is the prominent one.
 */
export const ACTIONS: Record<string, { label: string; reason?: boolean; danger?: boolean; forward?: boolean }> = {
  assign_barcode: { label: 'Assign barcode', forward: true },
  receive: { label: 'Receive', forward: true },
  start_preparation: { label: 'Start preparation', forward: true },
  finish_preparation: { label: 'Finish preparation', forward: true },
  pass_qc: { label: 'Pass QC', forward: true },
  fail_qc: { label: 'Fail QC', reason: true },
  request_resample: { label: 'Request resample', reason: true },
  start_experiment: { label: 'Start experiment', forward: true },
  finish_experiment: { label: 'Finish experiment', forward: true },
  retry_analysis: { label: 'Retry analysis', forward: true },
  request_reexperiment: { label: 'Request re-experiment', reason: true },
  analysis_failed: { label: 'Record analysis failed' },
  analysis_succeeded: { label: 'Record analysis succeeded', forward: true },
  approve: { label: 'Approve', forward: true },
  report_rendered: { label: 'Record report rendered', forward: true },
  deliver: { label: 'Deliver', forward: true },
  cancel: { label: 'Cancel specimen', reason: true, danger: true },
  register: { label: 'Register' },
  set_location: { label: 'Set location' },
};

export const actionWords = (action: string) => ACTIONS[action]?.label ?? action.replace(/_/g, ' ');

export type StepStatus = 'done' | 'current' | 'next' | 'off';

export interface Step {
  state: string;
  status: StepStatus;
  /** A side branch or an ending, not a step of the main path. */
  branch: boolean;
}

/**
 * The stepper: the main path, with the side branches and endings this specimen took shown
 * where it left the path. Steps after a state that cannot rejoin the path are "off".
 */
export function lifecycleSteps(state: string, history: CustodyEntry[]): Step[] {
  const onPath = MAIN_PATH.includes(state);
  const visited = new Set(history.map((h) => h.to));
  // Where on the main path the specimen is, or was when it left it.
  let anchor = MAIN_PATH.indexOf(state);
  if (!onPath) {
    const lastOnPath = [...history].reverse().find((h) => MAIN_PATH.includes(h.to));
    anchor = lastOnPath ? MAIN_PATH.indexOf(lastOnPath.to) : 0;
  }
  const rejoins = onPath || state === 'ANALYSIS_FAILED';
  const steps: Step[] = MAIN_PATH.map((s, i) => ({
    state: s,
    branch: false,
    status: i < anchor ? 'done' : i === anchor ? (onPath ? 'current' : 'done') : rejoins ? 'next' : 'off',
  }));
  for (const [branch, parent] of Object.entries(BRANCH_PARENT)) {
    if (branch !== state && !visited.has(branch)) continue;
    const at = steps.findIndex((s) => s.state === parent);
    steps.splice(at + 1, 0, { state: branch, branch: true, status: branch === state ? 'current' : 'done' });
  }
  if (ENDINGS.includes(state)) {
    const from = [...history].reverse().find((h) => h.to === state)?.from;
    const at = from ? steps.map((s) => s.state).lastIndexOf(from) : -1;
    steps.splice(at < 0 ? steps.length : at + 1, 0, { state, branch: true, status: 'current' });
  }
  return steps;
}

/** The states this specimen's stepper does not show: named under it, so all sixteen are in view. */
export function otherStates(steps: Step[]): string[] {
  const shown = new Set(steps.map((s) => s.state));
  return [...Object.keys(BRANCH_PARENT), ...ENDINGS].filter((s) => !shown.has(s));
}

/** What is left of an analysis run's time bound, in words; null once nothing is counting. */
export function timeLeft(deadline: string | null, now: number): { text: string; overdue: boolean } | null {
  if (!deadline) return null;
  const ms = Date.parse(deadline) - now;
  if (Number.isNaN(ms)) return null;
  if (ms <= 0) return { text: 'time is up', overdue: true };
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const text = h > 0 ? `${h} h ${m} min left` : m > 0 ? `${m} min ${s % 60} s left` : `${s} s left`;
  return { text, overdue: false };
}

/** Runs whose time bound still counts (docs/domain.md, Analyses: states). */
export const OPEN_RUN = ['dispatching', 'running'];

export interface Filters {
  state: string;
  client: string;
  /** Received on or after this day, YYYY-MM-DD in the user's time zone. */
  receivedFrom: string;
  /** Received on or before this day. */
  receivedTo: string;
}

/** Local midnight of a YYYY-MM-DD day, `plusDays` later, as an ISO instant. */
function dayStart(day: string, plusDays = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays).toISOString() : undefined;
}

/** GET /api/v1/specimens with the filters: the days are the user's, sent as instants (the "to" day included). */
export function specimensQuery(f: Filters, pageSize = 25): string {
  const params = new URLSearchParams({ limit: String(pageSize) });
  if (f.state) params.set('state', f.state);
  if (f.client.trim()) params.set('client_ref', f.client.trim());
  const from = dayStart(f.receivedFrom);
  const before = dayStart(f.receivedTo, 1);
  if (from) params.set('received_from', from);
  if (before) params.set('received_before', before);
  return `/api/v1/specimens?${params}`;
}

/** Whether a specimen just registered belongs in the list as filtered (it is not received yet). */
export function newlyRegisteredMatches(f: Filters, row: SpecimenRow): boolean {
  if (f.state && f.state !== row.state) return false;
  if (f.client.trim() && !row.client_ref.startsWith(f.client.trim())) return false;
  return !f.receivedFrom && !f.receivedTo;
}

/** What a scanner (or a person) typed: a specimen id is opened as it is, anything else is looked up as a barcode. */
export function scanned(text: string): { id: string } | { barcode: string } | null {
  const value = text.trim();
  if (!value) return null;
  if (/^SP-\d{4}-\d{6,12}$/i.test(value)) return { id: value.toUpperCase() };
  return { barcode: value.toUpperCase() };
}

export const PLATE_ROWS = 'ABCDEFGH'.split('');
export const PLATE_COLUMNS = Array.from({ length: 12 }, (_, i) => i + 1);
