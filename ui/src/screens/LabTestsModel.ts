// The lab-test screen's own logic, apart from the page so Vitest can check it: the API's
// shapes, how a live change (docs/api.md, Live events) updates a list, and how the form's
// fields become the body of POST/PUT /api/v1/lab-tests and back.

import type { Change } from '../events';
import type { Schedule } from '../format';

/** A schedule as the API answers it: with the scheduler's own reading in words. */
export interface ScheduleView extends Schedule {
  description?: string;
}

/** A row of GET /api/v1/lab-tests. */
export interface LabTestRow {
  id: string;
  title: string;
  type: string | null;
  experiment: string | null;
  recipients?: string[];
  status: string;
  action_kind: string;
  next_fire_at: string | null;
  schedule: ScheduleView;
}

/** GET /api/v1/lab-tests/{id}: the row and everything the form edits. */
export interface LabTest extends LabTestRow {
  action: Record<string, unknown> & { kind: string };
  max_retries: number;
  misfire_policy: string;
  current_execution?: { execution_id: string; due_at: string; attempt: number };
  dead_letters: string[];
  created_by: string;
  created_at: string;
}

/** A row of GET /api/v1/lab-tests/{id}/executions. */
export interface Execution {
  execution_id: string;
  due_at: string;
  started_at: string | null;
  finished_at: string | null;
  lateness_ms: number;
  attempt: number;
  status: string;
  fired_by: string | null;
  log: string[];
}

/** A row of GET /api/v1/dead-letters; `retrying` is this page's own note after it asked for a retry. */
export interface DeadLetter {
  id: string;
  lab_test_id: string;
  due_at: string;
  attempts: number;
  error: string;
  dead_lettered_at: string;
  retrying?: boolean;
}

/** POST /api/v1/lab-tests/preview. */
export interface Preview {
  schedule: ScheduleView;
  next_fires: { at: string; local_time: string }[];
}

// --- the list -----------------------------------------------------------------------

/** Which lab tests the list shows: each a query of GET /api/v1/lab-tests and the order it answers in. */
export const VIEWS = {
  upcoming: { label: 'Upcoming (soonest first)', query: 'upcoming=true' },
  paused: { label: 'Paused', query: 'status=paused' },
  dead_lettered: { label: 'Dead-lettered', query: 'status=dead_lettered' },
  all: { label: 'All (by id)', query: '' },
} as const;
export type View = keyof typeof VIEWS;

const DEFINITION_FIELDS = ['title', 'experiment', 'recipients', 'schedule', 'action_kind'] as const;

/**
 * A lab_test, lab_test_execution or dead_letter change applied to a list row; the row as it
 * was when the change says nothing about it. A field absent from a change was not changed;
 * `null` was cleared. An execution's change carries its test's status as `lab_test_status`.
 */
export function applyToRow(row: LabTestRow, change: Change): LabTestRow {
  const next: LabTestRow = { ...row };
  if (change.entity === 'lab_test') {
    if (change.id !== row.id) return row;
    if (change.type === 'lab_test.created' || change.type === 'lab_test.edited') {
      // The whole definition comes; an optional field it leaves out was cleared. "type" names
      // the change itself, so the test's type comes as lab_test_type.
      for (const f of DEFINITION_FIELDS) if (f in change) (next as unknown as Record<string, unknown>)[f] = change[f];
      next.type = (change.lab_test_type as string | undefined) ?? null;
      next.experiment = (change.experiment as string | undefined) ?? null;
    }
    if (typeof change.status === 'string') next.status = change.status;
  } else {
    if (change.lab_test_id !== row.id) return row;
    if (typeof change.lab_test_status === 'string') next.status = change.lab_test_status;
  }
  if ('next_fire_at' in change) next.next_fire_at = (change.next_fire_at as string | null) ?? null;
  return next;
}

/**
 * Whether the change leaves its test's status unknown: an execution that ended, or a dead
 * letter, without a next instant leaves the test completed or dead-lettered depending on its
 * other letters, which only the test itself knows (the page reads it again).
 */
export function statusUnknownAfter(change: Change): boolean {
  const ended = change.type === 'lab_test_execution.succeeded' || (change.type === 'lab_test_execution.failed' && change.status === 'failed');
  return (ended || change.type === 'dead_letter.created') && typeof change.lab_test_status !== 'string';
}

/** The row a lab_test.created change describes (its schedule carries the server's words, as every answer does). */
export function rowOfCreated(change: Change): LabTestRow {
  return {
    id: change.id,
    title: String(change.title ?? ''),
    type: (change.lab_test_type as string | undefined) ?? null,
    experiment: (change.experiment as string | null | undefined) ?? null,
    recipients: (change.recipients as string[] | undefined) ?? [],
    status: String(change.status ?? 'scheduled'),
    action_kind: String(change.action_kind ?? ''),
    next_fire_at: (change.next_fire_at as string | null | undefined) ?? null,
    schedule: (change.schedule as ScheduleView | undefined) ?? {},
  };
}

/**
 * A new test placed where the view's order puts it, or the rows unchanged when the view does
 * not list it or it falls after the loaded pages (a later page brings it, so nothing shows twice).
 */
export function placeNew(rows: LabTestRow[], row: LabTestRow, view: View, morePages: boolean): LabTestRow[] {
  if (rows.some((r) => r.id === row.id)) return rows;
  let before: (a: LabTestRow) => boolean;
  if (view === 'upcoming') {
    if (!row.next_fire_at) return rows;
    const at = Date.parse(row.next_fire_at);
    before = (r) => r.next_fire_at === null || Date.parse(r.next_fire_at) > at || (Date.parse(r.next_fire_at) === at && r.id > row.id);
  } else if (view === 'all') {
    before = (r) => r.id > row.id;
  } else {
    if (row.status !== view) return rows;
    before = (r) => r.id > row.id;
  }
  const index = rows.findIndex(before);
  if (index < 0) return morePages ? rows : [...rows, row];
  return [...rows.slice(0, index), row, ...rows.slice(index)];
}

/** A live change applied to the list: a new test placed in order, a deleted one gone, the rest patched. */
export function applyToList(rows: LabTestRow[], change: Change, view: View, morePages: boolean): LabTestRow[] {
  if (change.type === 'lab_test.deleted') return rows.filter((r) => r.id !== change.id);
  if (change.type === 'lab_test.created' && !rows.some((r) => r.id === change.id)) return placeNew(rows, rowOfCreated(change), view, morePages);
  const id = change.entity === 'lab_test' ? change.id : String(change.lab_test_id);
  return rows.map((r) => (r.id === id ? applyToRow(r, change) : r));
}

/** The list's row of a test as the API answered it. */
export function rowOf(t: LabTest): LabTestRow {
  const { id, title, type, experiment, recipients, status, next_fire_at, schedule } = t;
  return { id, title, type, experiment, recipients, status, next_fire_at, schedule, action_kind: t.action.kind };
}

// --- executions and dead letters ----------------------------------------------------

/**
 * A lab_test_execution change applied to a test's executions, newest first (execution ids sort
 * by due instant): a new one goes above the older ones, so a new run shows at the top; one older
 * than every loaded row is left to a later page.
 */
export function applyToExecutions(rows: Execution[], change: Change, morePages: boolean): Execution[] {
  const lines = Array.isArray(change.log) ? (change.log as string[]) : [];
  const known = rows.find((r) => r.execution_id === change.id);
  const fields = pick(change, ['due_at', 'started_at', 'finished_at', 'lateness_ms', 'attempt', 'status', 'fired_by']);
  if (known) {
    return rows.map((r) => (r === known ? { ...r, ...fields, log: appendOnce(r.log, lines) } : r));
  }
  const added = {
    execution_id: change.id,
    due_at: '',
    started_at: null,
    finished_at: null,
    lateness_ms: 0,
    attempt: 1,
    status: 'started',
    fired_by: null,
    ...fields,
    log: lines,
  } as Execution;
  const index = rows.findIndex((r) => r.execution_id < added.execution_id);
  if (index < 0) return morePages ? rows : [...rows, added];
  return [...rows.slice(0, index), added, ...rows.slice(index)];
}

/** The attempt's lines added to a log unless the log already ends with them (a change may arrive after a read that holds it). */
export function appendOnce(log: string[], lines: string[]): string[] {
  if (lines.length === 0) return log;
  const tail = log.slice(-lines.length);
  return tail.length === lines.length && tail.every((l, i) => l === lines[i]) ? log : [...log, ...lines];
}

/** A change applied to a list of open dead letters (of one test when labTestId is given). */
export function applyToDeadLetters(rows: DeadLetter[], change: Change, labTestId: string | undefined, morePages: boolean): DeadLetter[] {
  if (change.type === 'lab_test.deleted') return rows.filter((r) => r.lab_test_id !== change.id);
  if (change.type === 'lab_test_execution.succeeded') return rows.filter((r) => r.id !== change.id);
  if (change.type === 'lab_test_execution.started') return rows.map((r) => (r.id === change.id ? { ...r, retrying: true } : r));
  if (change.type !== 'dead_letter.created') return rows;
  if (labTestId && change.lab_test_id !== labTestId) return rows;
  const letter: DeadLetter = {
    id: change.id,
    lab_test_id: String(change.lab_test_id),
    due_at: String(change.due_at),
    attempts: Number(change.attempts),
    error: String(change.error ?? ''),
    dead_lettered_at: String(change.dead_lettered_at),
  };
  const rest = rows.filter((r) => r.id !== letter.id);
  const index = rest.findIndex((r) => r.id > letter.id);
  if (index < 0) return morePages ? rest : [...rest, letter];
  return [...rest.slice(0, index), letter, ...rest.slice(index)];
}

function pick(change: Change, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) if (n in change) out[n] = change[n];
  return out;
}

/** How late an execution started: "on time" under a second. */
export function lateness(ms: number): string {
  if (ms < 1000) return 'on time';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s late`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min late`;
  return `${(ms / 3_600_000).toFixed(1)} h late`;
}

/** Who started an execution, in words: the schedule, a run by hand, or a dead letter's retry (fired_by). */
export function firedBy(by: string | null): string {
  if (!by) return '';
  if (by === 'schedule') return 'on schedule';
  const [how, who] = [by.slice(0, by.indexOf(':')), by.slice(by.indexOf(':') + 1)];
  if (how === 'manual') return `run now by ${who}`;
  if (how === 'dead-letter-retry') return `retried by ${who}`;
  return by;
}

/** "Sun, 28 Mar 2027, 06:00:00 (UTC+02:00)" (the date in the user's locale) from the server's wall-clock time "2027-03-28T06:00:00+02:00": as the scheduler computed it, not converted again. */
export function wallClock(localTime: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?/.exec(localTime);
  if (!m) return localTime;
  const [, y, mo, d, time, offset] = m;
  const day = new Date(Date.UTC(+y, +mo - 1, +d));
  const date = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(day);
  const zone = !offset || offset === 'Z' ? 'UTC' : `UTC${offset}`;
  return `${date}, ${time} (${zone})`;
}

// --- time zones ---------------------------------------------------------------------

/** The zone's offset from UTC at an instant, in ms; null for a zone this browser does not know. */
function offsetAt(ms: number, zone: string): number | null {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(ms);
  } catch {
    return null;
  }
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour') % 24, n('minute'), n('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of a wall-clock date-time ("2026-03-29T02:30" or with seconds) in an IANA zone,
 * as ISO-8601 UTC; null for an unknown zone or a malformed time. As java.time reads it: a
 * time the autumn change shows twice is the earlier one, a time the spring change skips is
 * read with the offset before the change.
 */
export function zonedToInstant(local: string, zone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0));
  const day = 86_400_000;
  const before = offsetAt(wall - day, zone);
  const after = offsetAt(wall + day, zone);
  if (before === null || after === null) return null;
  // An offset fits when the zone has it at the instant it gives.
  const fitting = [before, after].filter((o) => offsetAt(wall - o, zone) === o);
  const offset = fitting.length ? Math.max(...fitting) : before;
  return new Date(wall - offset).toISOString();
}

/** An instant as the wall-clock value of a datetime-local input in a zone ("2026-03-29T04:30:00"); '' when it cannot be. */
export function instantToZoned(iso: string, zone: string): string {
  const ms = Date.parse(iso);
  const offset = Number.isNaN(ms) ? null : offsetAt(ms, zone);
  if (offset === null) return '';
  return new Date(ms + offset).toISOString().slice(0, 19);
}

// --- the form -----------------------------------------------------------------------

export type ActionKind = 'http' | 'workflow' | 'analysis';

/** The form's fields as the user typed them. */
export interface LabTestForm {
  title: string;
  type: string;
  experiment: string;
  once: boolean;
  at: string;
  cron: string;
  timezone: string;
  kind: ActionKind;
  url: string;
  method: string;
  expectedStatus: string;
  timeoutMs: string;
  deviceId: string;
  steps: string;
  queue: boolean;
  priority: string;
  pipeline: string;
  parameters: string;
  recipients: string;
  maxRetries: string;
  misfirePolicy: string;
}

export function blankForm(zone: string): LabTestForm {
  return {
    title: '',
    type: '',
    experiment: '',
    once: true,
    at: '',
    cron: '0 0 6 * * ?',
    timezone: zone,
    kind: 'http',
    url: '',
    method: 'POST',
    expectedStatus: '',
    timeoutMs: '',
    deviceId: '',
    steps: '',
    queue: true,
    priority: 'normal',
    pipeline: '',
    parameters: '',
    recipients: '',
    maxRetries: '3',
    misfirePolicy: 'fire_once',
  };
}

/** A test's definition in the form, for editing it; a one-time test's instant is shown in the given zone. */
export function formOf(test: LabTest, zone: string): LabTestForm {
  const a = test.action as Record<string, unknown>;
  const s = test.schedule;
  const steps = Array.isArray(a.steps) ? (a.steps as unknown[]).map((st) => (typeof st === 'string' ? st : JSON.stringify(st))).join('\n') : '';
  const parameters =
    a.parameters && typeof a.parameters === 'object'
      ? Object.entries(a.parameters as Record<string, unknown>).map(([k, v]) => `${k}=${v}`).join('\n')
      : '';
  return {
    ...blankForm(s.timezone ?? zone),
    title: test.title,
    type: test.type ?? '',
    experiment: test.experiment ?? '',
    once: !s.cron,
    at: s.at ? instantToZoned(s.at, s.timezone ?? zone) : '',
    cron: s.cron ?? '0 0 6 * * ?',
    kind: (['http', 'workflow', 'analysis'].includes(test.action.kind) ? test.action.kind : 'http') as ActionKind,
    url: typeof a.url === 'string' ? a.url : '',
    method: typeof a.method === 'string' ? a.method : 'POST',
    expectedStatus: a.expected_status === undefined ? '' : String(a.expected_status),
    timeoutMs: a.timeout_ms === undefined ? '' : String(a.timeout_ms),
    deviceId: typeof a.device_id === 'string' ? a.device_id : '',
    steps,
    queue: a.queue === undefined ? true : a.queue === true,
    priority: typeof a.priority === 'string' ? a.priority : 'normal',
    pipeline: typeof a.pipeline === 'string' ? a.pipeline : '',
    parameters,
    recipients: (test.recipients ?? []).join(', '),
    maxRetries: String(test.max_retries),
    misfirePolicy: test.misfire_policy,
  };
}

/** The schedule as POST /lab-tests and /lab-tests/preview take it; a problem of the form's own when a one-time date cannot be read in the zone. */
export function scheduleOf(form: LabTestForm): { schedule: Record<string, string> } | { field: string; message: string } {
  if (!form.once) return { schedule: { cron: form.cron.trim(), timezone: form.timezone.trim() } };
  if (!form.at) return { schedule: { at: '' } }; // the API says what is missing, at schedule.at
  const at = zonedToInstant(form.at, form.timezone.trim());
  if (at === null) {
    return { field: 'schedule.timezone', message: 'is not a time zone this browser knows: an IANA name such as Europe/Berlin' };
  }
  return { schedule: { at } };
}

/**
 * The body of POST/PUT /api/v1/lab-tests, or the problems the form itself finds (a line of
 * steps that is not JSON, a parameter line without "="): everything else the API checks and
 * names. Numbers typed as text go as numbers; an empty optional field is left out (the
 * API's default applies).
 */
export function definitionOf(form: LabTestForm): { body: Record<string, unknown> } | { problems: { field: string; message: string }[] } {
  const problems: { field: string; message: string }[] = [];
  const optional = (s: string) => (s.trim() ? s.trim() : undefined);
  const number = (s: string) => (s.trim() === '' ? undefined : /^-?\d+$/.test(s.trim()) ? Number(s.trim()) : s.trim());
  const schedule = scheduleOf(form);
  if ('field' in schedule) problems.push(schedule);

  let action: Record<string, unknown> = { kind: form.kind };
  if (form.kind === 'http') {
    action = { ...action, url: form.url.trim(), method: form.method, expected_status: number(form.expectedStatus), timeout_ms: number(form.timeoutMs) };
  } else if (form.kind === 'workflow') {
    const steps: unknown[] = [];
    form.steps
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .forEach((line, i) => {
        if (!line.startsWith('{')) return steps.push(line);
        try {
          steps.push(JSON.parse(line));
        } catch {
          problems.push({ field: 'action.steps', message: `line ${i + 1} starts with { but is not JSON: write an operation name or {"operation": ..., "parameters": {...}}` });
        }
      });
    action = { ...action, device_id: form.deviceId.trim(), steps, queue: form.queue, priority: form.priority };
  } else {
    const parameters: Record<string, string> = {};
    form.parameters
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .forEach((line) => {
        const eq = line.indexOf('=');
        if (eq <= 0) problems.push({ field: 'action.parameters', message: `"${line}" is not name=value` });
        else parameters[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
      });
    action = { ...action, pipeline: form.pipeline.trim(), parameters };
  }
  for (const k of Object.keys(action)) if (action[k] === undefined) delete action[k];
  if (problems.length) return { problems };
  return {
    body: {
      title: form.title.trim(),
      type: optional(form.type),
      experiment: optional(form.experiment),
      recipients: recipientsOf(form),
      schedule: (schedule as { schedule: Record<string, string> }).schedule,
      action,
      max_retries: number(form.maxRetries),
      misfire_policy: form.misfirePolicy,
    },
  };
}

/** The report's recipients as typed: separated by commas, semicolons or spaces. */
export function recipientsOf(form: LabTestForm): string[] {
  return form.recipients.split(/[\s,;]+/).filter(Boolean);
}

/** The form field each action kind shows, in the order a message about the action is matched against them. */
export const ACTION_FIELDS: Record<ActionKind, string[]> = {
  http: ['url', 'method', 'expected_status', 'timeout_ms'],
  workflow: ['device_id', 'steps', 'queue', 'priority'],
  analysis: ['pipeline', 'parameters'],
};

/**
 * Where the API's problem with the action belongs: the API checks an action's parameters
 * together and names the field `action`; its message names the parameter ("url must be an
 * absolute http or https URL", "a workflow action needs a device_id"), so the message is
 * shown at the field of the parameter it names first, or at the kind when it names none.
 */
export function actionFieldOf(message: string, kind: ActionKind): string {
  let best: { field: string; at: number } | null = null;
  for (const f of ACTION_FIELDS[kind]) {
    const at = new RegExp(`(^|[^a-z_])${f}([^a-z_]|$)`).exec(message)?.index;
    if (at !== undefined && (best === null || at < best.at)) best = { field: f, at };
  }
  return `action.${best ? best.field : 'kind'}`;
}
