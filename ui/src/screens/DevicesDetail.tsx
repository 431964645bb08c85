import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { call, get, Problem } from '../api';
import { Confirm } from '../components/Dialogs';
import { onChange, onReload } from '../events';
import { instant } from '../format';
import { can } from '../session';
import { applyDeviceChange, Device, OPERATIONAL, QueueEntry, startInWords, TYPE_NAMES } from './DevicesModel';
import { DeviceFacts, devicePath, Holder, StatusPill, To } from './DevicesParts';
import { ReserveDialog, ReserveMode } from './DevicesReserve';
import { DeviceAlarms } from './AlarmsParts';
import { DeviceTelemetry } from './DevicesTelemetry';

type Asking =
  | { kind: 'reserve'; mode: ReserveMode }
  | { kind: 'release'; holder: string }
  | { kind: 'cancel'; entry: QueueEntry }
  | { kind: 'offline' };

const STATUS_ACTIONS: Record<(typeof OPERATIONAL)[number], string> = {
  available: 'Mark available',
  maintenance: 'Put in maintenance',
  offline: 'Take offline',
};

/** A ticking clock for "in about 5 min": re-rendered each half minute, as estimates are to the minute. */
function useNow(): number {
  const now = useSignal(Date.now());
  useEffect(() => {
    const timer = setInterval(() => (now.value = Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now.value;
}

/** One device: its status and holder, its queue in service order with estimated starts, and what the user may do. */
export function DeviceDetail({ id }: { id: string }) {
  const device = useSignal<Device | null>(null);
  const queue = useSignal<QueueEntry[]>([]);
  const missing = useSignal<string | null>(null);
  const notice = useSignal('');
  const failure = useSignal<string | null>(null);
  const asking = useSignal<Asking | null>(null);
  const units = useSignal<Record<string, string>>({});
  const reads = useRef(0);
  const now = useNow();
  const base = `/api/v1/devices/${encodeURIComponent(id)}`;

  /** Reads the device and its queue from the entity; the newest read wins when changes come fast. */
  async function load() {
    const n = ++reads.current;
    try {
      const [d, q] = await Promise.all([get<Device>(base), get<QueueEntry[]>(`${base}/queue`)]);
      if (n !== reads.current) return;
      device.value = d;
      queue.value = q;
      missing.value = null;
    } catch (e) {
      if (n !== reads.current) return;
      missing.value = e instanceof Problem && e.status === 404 ? `There is no device ${id}.` : e instanceof Error ? e.message : String(e);
    }
  }

  useEffect(() => {
    device.value = null;
    void load();
    const stopChanges = onChange('device', (change) => {
      if (change.id !== id) return;
      if (device.value) device.value = applyDeviceChange(device.value, change);
      void load();
    });
    const stopReload = onReload(() => void load());
    return () => {
      stopChanges();
      stopReload();
    };
  }, [id]);

  /** Runs an action; a refusal is explained and the page read again, so the user sees what changed instead. */
  async function act(what: () => Promise<string>, refused: (p: Problem) => string | null) {
    asking.value = null;
    failure.value = null;
    try {
      notice.value = await what();
    } catch (e) {
      const p = e instanceof Problem ? e : new Problem(0, String(e));
      failure.value = refused(p) ?? p.detail;
    }
    await load();
  }

  function release(holder: string) {
    void act(
      async () => {
        const answer = await call<{ next_booking: { workflow_id: string } | null }>('POST', `${base}/release`, { workflow_id: holder });
        return answer.next_booking
          ? `Released from ${holder}; granted to ${answer.next_booking.workflow_id}, next in the queue.`
          : `Released from ${holder}; the device is free.`;
      },
      // Release names the holder the user saw: a device held by someone else meanwhile answers 403 and keeps its booking.
      (p) => (p.status === 403 ? `Nothing was released: ${holder} no longer holds the device. The page now shows who does.` : null),
    );
  }

  function cancelEntry(entry: QueueEntry) {
    void act(
      async () => {
        await call('DELETE', `${base}/queue/${encodeURIComponent(entry.workflow_id)}`);
        return `${entry.workflow_id} left the queue.`;
      },
      (p) => (p.status === 404 ? `${entry.workflow_id} is no longer queued (granted the device or cancelled meanwhile).` : null),
    );
  }

  function setStatus(status: string) {
    void act(
      async () => {
        await call('PUT', `${base}/status`, { status });
        return `The device is now ${status}.`;
      },
      () => null,
    );
  }

  if (missing.value && !device.value) {
    return (
      <section class="screen devices" aria-labelledby="device-heading">
        <h2 id="device-heading">Device {id}</h2>
        <p class="error" role="alert">
          {missing.value}
        </p>
        <To path="/devices">All devices</To>
      </section>
    );
  }
  const d = device.value;
  if (!d) return <p role="status">Loading…</p>;
  const holder = d.current_booking?.workflow_id;
  const operational = d.status === 'busy' ? 'available' : d.status;

  return (
    <section class="screen devices device-detail" aria-labelledby="device-heading" data-device={d.id} data-status={d.status}>
      <p class="crumbs">
        <To path="/devices">All devices</To>
      </p>
      <div class="screen-head">
        <h2 id="device-heading">{d.name}</h2>
        <StatusPill status={d.status} />
      </div>
      <p class="id">
        {d.id} · {TYPE_NAMES[d.type] ?? d.type}
        {d.capabilities.length > 0 && ` · ${d.capabilities.join(', ')}`}
      </p>
      <DeviceFacts device={d} />

      <p class="notice" role="status">
        {notice.value}
      </p>
      {failure.value && (
        <p class="error" role="alert">
          {failure.value}
        </p>
      )}

      <DeviceAlarms deviceId={d.id} units={units.value} />

      <div class="device-actions">
        {d.status === 'available' && can('devices.book') && (
          <button type="button" class="primary" onClick={() => (asking.value = { kind: 'reserve', mode: 'book' })}>
            Book
          </button>
        )}
        {d.status !== 'available' && can('devices.queue') && (
          <button type="button" class="primary" onClick={() => (asking.value = { kind: 'reserve', mode: 'queue' })}>
            Queue
          </button>
        )}
        {holder && can('devices.release') && (
          <button type="button" onClick={() => (asking.value = { kind: 'release', holder })}>
            Release
          </button>
        )}
        <To path={`${devicePath(d.id)}/logs`} class="button-link">
          Execution log
        </To>
      </div>

      {can('devices.set_status') && (
        <div class="status-actions" role="group" aria-label="Operational status (admin)">
          <span class="group-label">Operational status</span>
          {OPERATIONAL.filter((s) => s !== operational).map((s) => (
            <button
              key={s}
              type="button"
              class={s === 'offline' ? 'danger' : undefined}
              onClick={() => (s === 'offline' ? (asking.value = { kind: 'offline' }) : setStatus(s))}
            >
              {STATUS_ACTIONS[s]}
            </button>
          ))}
        </div>
      )}

      <DeviceTelemetry deviceId={d.id} onChannels={(channels) => (units.value = Object.fromEntries(channels.map((c) => [c.name, c.unit])))} />

      <h3 id="queue-heading">Queue</h3>
      {queue.value.length === 0 ? (
        <p class="empty">Nobody is waiting for this device.</p>
      ) : (
        <table class="rows queue" aria-labelledby="queue-heading">
          <thead>
            <tr>
              <th scope="col">Place</th>
              <th scope="col">Waiting</th>
              <th scope="col">Priority</th>
              <th scope="col">Queued</th>
              <th scope="col">Expected start</th>
              {can('devices.cancel_queued') && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {queue.value.map((q) => (
              <tr key={q.workflow_id} data-queued={q.workflow_id}>
                <td data-label="Place">{q.position}</td>
                <td data-label="Waiting">
                  <Holder id={q.workflow_id} />
                </td>
                <td data-label="Priority">
                  <span class={`status priority-${q.priority}`}>{q.priority}</span>
                </td>
                <td data-label="Queued">{instant(q.enqueued_at)}</td>
                <td data-label="Expected start">
                  {startInWords(q.estimated_start, now)}
                  <span class="since">{instant(q.estimated_start)}</span>
                </td>
                {can('devices.cancel_queued') && (
                  <td data-label="Action">
                    <button type="button" onClick={() => (asking.value = { kind: 'cancel', entry: q })} aria-label={`Cancel queue entry of ${q.workflow_id}`}>
                      Cancel
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {asking.value?.kind === 'reserve' && (
        <ReserveDialog
          device={d}
          mode={asking.value.mode}
          onClose={() => (asking.value = null)}
          onDone={(message) => {
            asking.value = null;
            notice.value = message;
            void load();
          }}
        />
      )}
      {asking.value?.kind === 'release' && (
        <Confirm
          title={`Release ${d.name}?`}
          message={
            `${asking.value.holder} gives up ${d.name}` +
            (queue.value.length ? `; ${queue.value[0].workflow_id}, first in the queue, is granted it at once.` : '; it becomes free.') +
            (asking.value.holder.startsWith('WF-') ? ' Completing or cancelling the workflow releases it too; releasing here ends its booking now.' : '')
          }
          confirm="Release"
          onConfirm={() => release((asking.value as { holder: string }).holder)}
          onClose={() => (asking.value = null)}
        />
      )}
      {asking.value?.kind === 'cancel' && (
        <Confirm
          title="Leave the queue?"
          message={`${asking.value.entry.workflow_id} (${asking.value.entry.priority}, place ${asking.value.entry.position}) leaves the queue for ${d.name}.`}
          confirm="Cancel queue entry"
          onConfirm={() => cancelEntry((asking.value as { entry: QueueEntry }).entry)}
          onClose={() => (asking.value = null)}
        />
      )}
      {asking.value?.kind === 'offline' && (
        <Confirm
          title={`Take ${d.name} offline?`}
          message={
            (holder ? `The workflow holding it (${holder}) fails with its running step, and the device is released. ` : '') +
            'The queue waits until the device is available again.'
          }
          confirm="Take offline"
          onConfirm={() => setStatus('offline')}
          onClose={() => (asking.value = null)}
        />
      )}
    </section>
  );
}
