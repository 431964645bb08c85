// What the workflow screens know about a workflow, and how a live change moves it on. Pure
// functions, so the list and the detail page apply a change the same way (and Vitest checks it).
// The rules themselves (what may run when) are the API's: these only mirror what it reported.

import type { Change } from '../events';

export type WorkflowStatus = 'created' | 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface Step {
  index: number;
  operation: string;
  status: StepStatus;
  execution_id?: string | null;
  started_at?: string | null;
  finished_at?: string | null;
  result?: Record<string, unknown> | null;
  parameters?: Record<string, unknown>;
}

export interface Sample {
  barcode: string;
  specimen_id: string;
}

/** A workflow as GET /workflows (a list item) or GET /workflows/{id} answers it. */
export interface Workflow {
  id: string;
  name: string;
  status: WorkflowStatus;
  device_id: string;
  priority: string;
  samples: Sample[];
  steps: Step[];
  created_by: string;
  created_at?: string | null;
  booked_at?: string | null;
  finished_at?: string | null;
}

export const PRIORITIES = ['urgent', 'normal', 'low'] as const;
export const STATUSES: WorkflowStatus[] = ['created', 'queued', 'running', 'completed', 'cancelled', 'failed'];

/** Steps that ran to an end (either way), of all steps. */
export function progress(w: Pick<Workflow, 'steps'>): { ended: number; total: number; failed: number } {
  const ended = w.steps.filter((s) => s.status === 'succeeded' || s.status === 'failed').length;
  return { ended, total: w.steps.length, failed: w.steps.filter((s) => s.status === 'failed').length };
}

/** The step execute-step would run next: the first never claimed, if none is running. */
export function nextStep(w: Pick<Workflow, 'steps'>): Step | undefined {
  if (w.steps.some((s) => s.status === 'running')) return undefined;
  return w.steps.find((s) => s.status === 'pending');
}

/** What the user may ask for now, as far as the workflow's own state goes (the role check is session.can's). */
export function actionsFor(w: Pick<Workflow, 'status' | 'steps'>): { start: boolean; step: boolean; complete: boolean; cancel: boolean } {
  const running = w.status === 'running';
  const allEnded = w.steps.every((s) => s.status === 'succeeded' || s.status === 'failed');
  return {
    start: w.status === 'created',
    step: running && nextStep(w) !== undefined,
    complete: running && allEnded,
    cancel: w.status === 'created' || w.status === 'queued' || w.status === 'running',
  };
}

/** The row a workflow.created change describes (counts only: the list shows them as counts). */
export function fromCreated(c: Change): Workflow {
  const steps = Number(c.steps ?? 0);
  const samples = Number(c.samples ?? 0);
  return {
    id: c.id,
    name: String(c.name ?? ''),
    status: (c.status as WorkflowStatus) ?? 'created',
    device_id: String(c.device_id ?? ''),
    priority: String(c.priority ?? 'normal'),
    samples: Array.from({ length: samples }, () => ({ barcode: '', specimen_id: '' })),
    steps: Array.from({ length: steps }, (_, index) => ({ index, operation: '', status: 'pending' as StepStatus })),
    created_by: String(c.created_by ?? ''),
    created_at: (c.at as string) ?? null,
  };
}

/**
 * The workflow after one of its changes (docs/api.md, Live events): a status change, or a step's.
 * A field the change leaves out is kept; applying the same change twice gives the same workflow.
 */
export function applyChange<W extends Workflow>(w: W, c: Change): W {
  const what = c.type.slice('workflow.'.length);
  if (what.startsWith('step_')) {
    const index = Number(c.step);
    if (!Number.isInteger(index) || index < 0 || index >= w.steps.length) return w;
    const steps = w.steps.map((s) => {
      if (s.index !== index) return s;
      const next: Step = { ...s };
      if (c.step_status !== undefined) next.status = c.step_status as StepStatus;
      if (c.operation !== undefined) next.operation = String(c.operation);
      if (c.execution_id !== undefined) next.execution_id = c.execution_id as string | null;
      if (c.finished_at !== undefined) next.finished_at = c.finished_at as string | null;
      if (next.status === 'pending') {
        next.execution_id = null; // released: the device refused to start it, so it ran nothing
        next.started_at = null;
      }
      return next;
    });
    return { ...w, steps };
  }
  // A queued change's priority is the queue entry's, not the workflow's own (which GET answers): left out.
  const next: W = { ...w };
  if (c.status !== undefined) next.status = c.status as WorkflowStatus;
  if (c.booked_at !== undefined) next.booked_at = c.booked_at as string | null;
  if (c.finished_at !== undefined) next.finished_at = c.finished_at as string | null;
  return next;
}

/**
 * A step's parameters as the user wrote them: a JSON object, or `name=value` pairs separated by
 * commas (numbers and true/false are read as such). An error message when it is neither.
 */
export function parseParameters(text: string): { value?: Record<string, unknown>; error?: string } {
  const t = text.trim();
  if (!t) return { value: undefined };
  if (t.startsWith('{')) {
    try {
      const parsed = JSON.parse(t);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { value: parsed };
    } catch {
      // reported below
    }
    return { error: 'Not a JSON object, e.g. {"wavelength_nm": 450}' };
  }
  const value: Record<string, unknown> = {};
  for (const pair of t.split(',')) {
    const at = pair.indexOf('=');
    const name = (at < 0 ? '' : pair.slice(0, at)).trim();
    const raw = pair.slice(at + 1).trim();
    if (!name || at < 0) return { error: `Write name=value pairs separated by commas, e.g. wavelength_nm=450 (not "${pair.trim()}")` };
    value[name] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return { value };
}

/** Parameters in the short form the step list shows. */
export function parametersInWords(p: Record<string, unknown> | undefined): string {
  if (!p || Object.keys(p).length === 0) return '';
  return Object.entries(p)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/** A stale page: what changed between the workflow the user saw and the one the API has now; null when nothing that matters did. */
export function changedSince(seen: Pick<Workflow, 'status' | 'steps'>, now: Pick<Workflow, 'status' | 'steps'>): string | null {
  if (seen.status !== now.status) return `it is now ${now.status} (you saw it ${seen.status})`;
  const claimed = (w: Pick<Workflow, 'steps'>) => w.steps.filter((s) => s.status !== 'pending').length;
  if (claimed(seen) !== claimed(now)) return `another step was started meanwhile (${claimed(now)} of ${now.steps.length} started, you saw ${claimed(seen)})`;
  return null;
}
