import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { call, get, Problem } from '../api';
import { Confirm } from '../components/Dialogs';
import { onChange, onReload } from '../events';
import { instant } from '../format';
import { can } from '../session';
import { AppLink, Progress } from './WorkflowsParts';
import { actionsFor, applyChange, changedSince, nextStep, parametersInWords, PRIORITIES, progress, Workflow } from './WorkflowsModel';

/** A queued workflow's entry in its device's queue (GET /devices/{id}/queue). */
interface QueueEntry {
  workflow_id: string;
  priority: string;
  position: number;
  estimated_start: string;
}

/**
 * One workflow: its samples and steps, updated live as the device runs them, and the actions its
 * state allows and the user's role may take. Before an action the page reads the workflow again:
 * if it changed from what the user saw (someone else started, ran a step or cancelled it), the
 * action is not sent and the page says what changed.
 */
export function WorkflowDetail({ id }: { id: string }) {
  const workflow = useSignal<Workflow | null>(null);
  const missing = useSignal<string | null>(null);
  const notice = useSignal<string | null>(null);
  const busy = useSignal(false);
  const confirming = useSignal<Workflow | null>(null);
  const priority = useSignal('');
  const wait = useSignal<(QueueEntry & { length: number }) | null>(null);

  const reading = useRef<{ busy: boolean; again: boolean }>({ busy: false, again: false });

  /** Reads the workflow; changes that arrive during a read ask for one more read after it, not one each. */
  function refresh(): void {
    const r = reading.current;
    if (r.busy) {
      r.again = true;
      return;
    }
    r.busy = true;
    void load().finally(() => {
      r.busy = false;
      if (r.again) {
        r.again = false;
        refresh();
      }
    });
  }

  async function load(): Promise<Workflow | null> {
    try {
      const w = await get<Workflow>(`/api/v1/workflows/${encodeURIComponent(id)}`);
      workflow.value = w;
      missing.value = null;
      if (!priority.value) priority.value = w.priority;
      void loadWait(w);
      return w;
    } catch (failure) {
      missing.value = failure instanceof Problem && failure.status === 404 ? `There is no workflow ${id}.` : String((failure as Error).message ?? failure);
      return null;
    }
  }

  /** A queued workflow's place in its device's queue, the priority it queued with, and when it should start. */
  async function loadWait(w: Workflow) {
    if (w.status !== 'queued') {
      wait.value = null;
      return;
    }
    const queue = await get<QueueEntry[]>(`/api/v1/devices/${encodeURIComponent(w.device_id)}/queue`).catch(() => []);
    const mine = queue.find((e) => e.workflow_id === w.id);
    wait.value = mine ? { ...mine, length: queue.length } : null;
  }

  useEffect(() => {
    workflow.value = null;
    notice.value = null;
    void load();
    const stopChanges = onChange(['workflow', 'device'], (c) => {
      const w = workflow.value;
      if (!w) return;
      if (c.entity === 'device') {
        if (c.id === w.device_id && w.status === 'queued') void loadWait(w);
        return;
      }
      if (c.id !== id) return;
      // The change shows at once; the workflow is then read again for what a change leaves out (a step's result).
      workflow.value = applyChange(w, c);
      refresh();
    });
    const stopReload = onReload(refresh);
    return () => {
      stopChanges();
      stopReload();
    };
  }, [id]);

  /**
   * Sends an action if the workflow is still as the user saw it. A 409 or 400 is explained
   * and the page shows the workflow as it is now; nothing is applied to a state the user did not see.
   */
  async function act(seen: Workflow, label: string, path: string, body?: unknown) {
    busy.value = true;
    notice.value = null;
    try {
      const now = await load();
      if (!now) return;
      const changed = changedSince(seen, now);
      if (changed) {
        notice.value = `${label} was not sent: ${changed}. The page shows the workflow as it is now.`;
        return;
      }
      await call('POST', `/api/v1/workflows/${encodeURIComponent(id)}/${path}`, body);
      await load();
    } catch (failure) {
      const p = failure instanceof Problem ? failure : new Problem(0, String(failure));
      notice.value = explain(label, p);
      await load();
    } finally {
      busy.value = false;
    }
  }

  if (missing.value) {
    return (
      <section class="screen" aria-labelledby="wf-heading">
        <h2 id="wf-heading">Workflow</h2>
        <p class="error" role="alert">
          {missing.value}
        </p>
        <AppLink to="/workflows">All workflows</AppLink>
      </section>
    );
  }
  const w = workflow.value;
  if (!w) return <p role="status">Loading…</p>;

  const allowed = actionsFor(w);
  const next = nextStep(w);
  const { ended, total } = progress(w);
  const running = w.steps.find((s) => s.status === 'running');
  return (
    <section class="screen wf wf-detail" aria-labelledby="wf-heading" data-workflow={w.id}>
      <p class="wf-back">
        <AppLink to="/workflows">← All workflows</AppLink>
      </p>
      <div class="screen-head">
        <h2 id="wf-heading">
          {w.name} <span class="id">{w.id}</span>
        </h2>
        <span class={`status status-${w.status}`} data-status={w.status}>
          {w.status}
        </span>
      </div>
      <dl class="wf-facts">
        <div>
          <dt>Device</dt>
          <dd>{w.device_id}</dd>
        </div>
        <div>
          <dt>Priority</dt>
          <dd>{w.priority}</dd>
        </div>
        <div>
          <dt>Created by</dt>
          <dd>{w.created_by}</dd>
        </div>
        <div>
          <dt>Device booked</dt>
          <dd>{w.booked_at ? <time dateTime={w.booked_at}>{instant(w.booked_at)}</time> : '—'}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{w.finished_at ? <time dateTime={w.finished_at}>{instant(w.finished_at)}</time> : '—'}</dd>
        </div>
        {wait.value && (
          <div>
            <dt>In the queue</dt>
            <dd>
              {wait.value.position} of {wait.value.length}, {wait.value.priority}; expected to start <time dateTime={wait.value.estimated_start}>{instant(wait.value.estimated_start)}</time>
            </dd>
          </div>
        )}
      </dl>

      <p class="wf-live" role="status" aria-live="polite">
        <Progress workflow={w} />
        {running ? ` · step ${running.index + 1} (${running.operation}) is running` : ''}
        {w.status === 'running' && !running && ended === total ? ' · every step has run: complete it to release the device' : ''}
      </p>

      <Actions
        w={w}
        allowed={allowed}
        nextIndex={next?.index}
        busy={busy.value}
        priority={priority.value}
        onPriority={(p) => (priority.value = p)}
        onStart={() => void act(w, 'Start', 'start')}
        onQueue={() => void act(w, 'Queue', 'start', { queue: true, priority: priority.value })}
        onStep={() => void act(w, 'Run next step', 'execute-step')}
        onComplete={() => void act(w, 'Complete', 'complete')}
        onCancel={() => (confirming.value = w)}
      />
      {notice.value && (
        <p class="error wf-notice" role="alert">
          {notice.value}
        </p>
      )}

      <h3>Steps</h3>
      <ol class="wf-steps">
        {w.steps.map((s) => (
          <li key={s.index} data-step={s.index} data-step-status={s.status} class={`wf-step wf-step-${s.status}`}>
            <div class="wf-step-head">
              <span class="wf-step-no">{s.index + 1}</span>
              <span class="wf-step-op">{s.operation}</span>
              <span class={`status status-${s.status}`}>{s.status}</span>
            </div>
            {parametersInWords(s.parameters) && <div class="wf-step-more">Parameters: {parametersInWords(s.parameters)}</div>}
            {s.execution_id && (
              <div class="wf-step-more">
                Run {s.execution_id}
                {s.started_at && (
                  <>
                    , started <time dateTime={s.started_at}>{instant(s.started_at)}</time>
                  </>
                )}
                {s.finished_at && (
                  <>
                    , ended <time dateTime={s.finished_at}>{instant(s.finished_at)}</time>
                  </>
                )}
              </div>
            )}
            {s.result && Object.keys(s.result).length > 0 && <div class="wf-step-more">Result: {parametersInWords(s.result)}</div>}
          </li>
        ))}
      </ol>

      <h3>Samples</h3>
      {w.samples.length === 0 ? (
        <p class="empty">No samples.</p>
      ) : (
        <ul class="wf-samples">
          {w.samples.map((s) => (
            <li key={s.barcode}>
              <code>{s.barcode}</code> <AppLink to={`/specimens/${s.specimen_id}`}>{s.specimen_id}</AppLink>
            </li>
          ))}
        </ul>
      )}

      {confirming.value && (
        <Confirm
          title="Cancel this workflow?"
          message={
            confirming.value.status === 'running'
              ? `${confirming.value.name} is running on ${confirming.value.device_id}: cancelling releases the device. Steps that ran stay in the execution log; its specimens stay where they are.`
              : `${confirming.value.name} is ${confirming.value.status}: cancelling takes it off ${confirming.value.device_id}'s queue.`
          }
          confirm="Cancel workflow"
          onClose={() => (confirming.value = null)}
          onConfirm={() => {
            const seen = confirming.value!;
            confirming.value = null;
            void act(seen, 'Cancel', 'cancel');
          }}
        />
      )}
    </section>
  );
}

/** Why an action was refused, in the lab's words; the API's own message says the particulars. */
function explain(label: string, p: Problem): string {
  if (p.status === 409) {
    const then = label === 'Start' ? ' Queue it instead: it starts by itself when the device is granted to it.' : ' The page shows the current state.';
    return `${label} was refused: ${p.detail}. Nothing was applied.${then}`;
  }
  if (p.status === 400) return `${label} is not possible now: ${p.errors.map((e) => e.message).join('; ') || p.detail}`;
  if (p.status === 403) return `${label} is not allowed: ${p.detail}`;
  return `${label} failed: ${p.detail}`;
}

/** The buttons the workflow's state allows, each only when the user's role may take it. */
function Actions({ w, allowed, nextIndex, busy, priority, onPriority, onStart, onQueue, onStep, onComplete, onCancel }: {
  w: Workflow;
  allowed: ReturnType<typeof actionsFor>;
  nextIndex?: number;
  busy: boolean;
  priority: string;
  onPriority: (p: string) => void;
  onStart: () => void;
  onQueue: () => void;
  onStep: () => void;
  onComplete: () => void;
  onCancel: () => void;
}) {
  const start = allowed.start && can('workflows.start');
  const step = allowed.step && can('workflows.execute_step');
  const complete = allowed.complete && can('workflows.complete');
  const cancel = allowed.cancel && can('workflows.cancel');
  if (!start && !step && !complete && !cancel) return null;
  return (
    <div class="wf-actions" role="group" aria-label="Workflow actions">
      {start && (
        <>
          <button type="button" class="primary" disabled={busy} onClick={onStart}>
            Start now
          </button>
          <span class="wf-queue">
            <label for="wf-priority">Priority</label>
            <select id="wf-priority" value={priority} onChange={(e) => onPriority(e.currentTarget.value)}>
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
            <button type="button" disabled={busy} onClick={onQueue}>
              Queue on {w.device_id}
            </button>
          </span>
        </>
      )}
      {step && nextIndex !== undefined && (
        <button type="button" class="primary" disabled={busy} onClick={onStep}>
          Run step {nextIndex + 1} of {w.steps.length}
        </button>
      )}
      {complete && (
        <button type="button" class="primary" disabled={busy} onClick={onComplete}>
          Complete
        </button>
      )}
      {cancel && (
        <button type="button" class="danger" disabled={busy} onClick={onCancel}>
          Cancel workflow
        </button>
      )}
    </div>
  );
}
