import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { call, get, Problem } from '../api';
import { instant } from '../format';
import { Modal } from '../Modal';
import { can, user } from '../session';
import { benchHolder, Booking, Device, PRIORITIES, waitInWords } from './DevicesModel';

export type ReserveMode = 'book' | 'queue';

interface Queued {
  position: number;
  estimated_wait_s: number;
}

interface Wait {
  position: number;
  estimated_wait_s: number;
  queue_length: number;
}

/** Why a device refused a booking, in words, from the device as it is now. */
function whyRefused(device: Device): string {
  if (device.current_booking) {
    return `${device.name} is busy: ${device.current_booking.workflow_id} booked it ${instant(device.current_booking.booked_at)}.`;
  }
  if (device.status === 'maintenance' || device.status === 'offline') return `${device.name} is ${device.status === 'offline' ? 'offline' : 'in maintenance'}.`;
  return `${device.name} refused the booking.`;
}

/**
 * Book a device, or queue for it with a priority. The API books for a holder: a workflow's id
 * (WF-…) when a workflow runs on it, or a name for work at the bench, proposed from the user's
 * name and the time; the same name releases it. A booking refused because someone booked the
 * device first (409) is explained from the device as it is now, and queueing offered instead.
 */
export function ReserveDialog({ device, mode: initialMode, onClose, onDone }: {
  device: Device;
  mode: ReserveMode;
  onClose: () => void;
  /** Called with what happened, in words, for the page to announce. */
  onDone: (message: string) => void;
}) {
  const mode = useSignal<ReserveMode>(initialMode);
  const holder = useSignal(benchHolder(user.value?.username ?? 'bench'));
  const priority = useSignal<string>('normal');
  const problem = useSignal<Problem | null>(null);
  const refusal = useSignal<string | null>(null);
  const wait = useSignal<Wait | null>(null);
  const busy = useSignal(false);

  // What a new request would wait, from the API's own estimate (normal priority).
  useEffect(() => {
    if (mode.value !== 'queue') return;
    get<Wait>(`/api/v1/devices/${encodeURIComponent(device.id)}/wait-time`)
      .then((w) => (wait.value = w))
      .catch(() => (wait.value = null));
  }, [mode.value]);

  async function submit(e: Event) {
    e.preventDefault();
    busy.value = true;
    problem.value = null;
    const base = `/api/v1/devices/${encodeURIComponent(device.id)}`;
    const workflowId = holder.value.trim();
    try {
      if (mode.value === 'book') {
        await call<Booking>('POST', `${base}/book`, { workflow_id: workflowId });
        onDone(`Booked ${device.name} for ${workflowId}.`);
      } else {
        const answer = await call<Booking | Queued>('POST', `${base}/queue`, { workflow_id: workflowId, priority: priority.value });
        onDone(
          'position' in answer
            ? `${workflowId} is queued for ${device.name} at position ${answer.position}; expected wait ${waitInWords(answer.estimated_wait_s)}.`
            : `${device.name} was free: booked at once for ${workflowId}.`,
        );
      }
    } catch (failure) {
      const p = failure instanceof Problem ? failure : new Problem(0, String(failure));
      if (p.status === 409) {
        // Not applied: say what the device is now, and offer the queue when the user may join it.
        const now = await get<Device>(base).catch(() => null);
        refusal.value = now ? whyRefused(now) : p.detail;
        if (can('devices.queue')) mode.value = 'queue';
      } else {
        problem.value = p;
      }
    } finally {
      busy.value = false;
    }
  }

  const holderError = problem.value?.at('workflow_id');
  const priorityError = problem.value?.at('priority');
  const otherError = problem.value && !holderError && !priorityError ? problem.value.detail : null;
  const title = mode.value === 'book' ? `Book ${device.name}` : `Queue for ${device.name}`;
  return (
    <Modal title={title} onClose={onClose}>
      <form onSubmit={submit} noValidate class="reserve">
        {refusal.value && (
          <div class="conflict" role="alert">
            <p>{refusal.value} Nothing was booked.</p>
            {mode.value === 'queue' && <p>Queue for it instead? It is granted to you when your turn comes.</p>}
          </div>
        )}
        <div class="field">
          <label for="f-workflow_id">Booked for (workflow or bench run)</label>
          <input
            id="f-workflow_id"
            name="workflow_id"
            value={holder.value}
            onInput={(e) => (holder.value = e.currentTarget.value)}
            required
            maxLength={64}
            autoComplete="off"
            spellcheck={false}
            aria-invalid={holderError ? true : undefined}
            aria-describedby={holderError ? 'f-workflow_id-error f-workflow_id-hint' : 'f-workflow_id-hint'}
          />
          <p id="f-workflow_id-hint" class="hint">
            A workflow's id (WF-…) or a name for work at the bench; the booking is released under the same name.
          </p>
          {holderError && (
            <p id="f-workflow_id-error" class="field-error">
              {holderError}
            </p>
          )}
        </div>
        {mode.value === 'queue' && (
          <div class="field">
            <label for="f-priority">Priority</label>
            <select
              id="f-priority"
              name="priority"
              value={priority.value}
              onChange={(e) => (priority.value = e.currentTarget.value)}
              aria-invalid={priorityError ? true : undefined}
              aria-describedby={priorityError ? 'f-priority-error' : undefined}
            >
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
            {priorityError && (
              <p id="f-priority-error" class="field-error">
                {priorityError}
              </p>
            )}
            {wait.value && (
              <p class="hint">
                Now {wait.value.queue_length === 0 ? 'nobody is' : `${wait.value.queue_length} ${wait.value.queue_length === 1 ? 'is' : 'are'}`} waiting; a normal
                request would be number {wait.value.position} and wait {waitInWords(wait.value.estimated_wait_s)}. Urgent goes before normal, normal before low.
              </p>
            )}
          </div>
        )}
        {otherError && (
          <p class="error" role="alert">
            {otherError}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={onClose}>
            Back
          </button>
          <button type="submit" class="primary" disabled={busy.value}>
            {mode.value === 'book' ? 'Book' : 'Queue'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
