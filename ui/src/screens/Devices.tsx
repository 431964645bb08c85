import { segment } from '../router';
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { usePaged } from '../components/usePaged';
import { onChange } from '../events';
import { can } from '../session';
import { DeviceDetail } from './DevicesDetail';
import { DeviceLogs } from './DevicesLogs';
import { applyDeviceChange, Device, registeredDevice, TYPE_NAMES } from './DevicesModel';
import { DeviceFacts, devicePath, StatusPill, To, useDeviceReader } from './DevicesParts';
import { ReserveDialog, ReserveMode } from './DevicesReserve';
import { AlarmCount, useActiveAlarmCounts } from './AlarmsParts';
import './Devices.css';

const PAGE_SIZE = 30;

/** The devices screen: the board at /devices, a device at /devices/{id}, its execution log at /devices/{id}/logs. */
export function Devices({ rest }: { rest: string }) {
  const [id, sub] = rest.split('/').filter(Boolean).map(segment);
  if (!id) return <DeviceBoard />;
  if (sub === 'logs') return <DeviceLogs id={id} />;
  return <DeviceDetail id={id} />;
}

/** The board: every instrument with its live status, holder and queue, a page at a time. */
function DeviceBoard() {
  const list = usePaged<Device>(`/api/v1/devices?limit=${PAGE_SIZE}`, (d) => d.id);
  const reserving = useSignal<{ device: Device; mode: ReserveMode } | null>(null);
  const notice = useSignal('');
  const reread = useDeviceReader((fresh) => list.patch(fresh.id, () => fresh));
  const alarms = useActiveAlarmCounts();

  useEffect(
    () =>
      onChange('device', (change) => {
        if (change.type === 'device.registered') {
          // The board lists devices by id: a new one belongs here only once every page is shown.
          if (list.cursor.value === null && !list.rows.value.some((d) => d.id === change.id)) {
            list.rows.value = [...list.rows.value, registeredDevice(change)].sort((a, b) => (a.id < b.id ? -1 : 1));
          }
          return;
        }
        if (list.patch(change.id, (d) => applyDeviceChange(d, change))) void reread(change.id);
      }),
    [],
  );

  return (
    <section aria-labelledby="devices-heading" class="screen devices">
      <div class="screen-head">
        <h2 id="devices-heading">Instruments</h2>
      </div>
      <p class="notice" role="status">
        {notice.value}
      </p>
      {list.error.value && (
        <p class="error" role="alert">
          {list.error.value}
        </p>
      )}
      {list.rows.value.length === 0 && !list.loading.value && !list.error.value ? (
        <p class="empty">No devices are registered.</p>
      ) : (
        <ul class="device-board">
          {list.rows.value.map((d) => (
            <li key={d.id} class="device-card" data-device={d.id} data-status={d.status}>
              <div class="device-card-head">
                <h3>
                  <To path={devicePath(d.id)}>{d.name}</To>
                </h3>
                <span class="pills">
                  <AlarmCount count={alarms[d.id]} />
                  <StatusPill status={d.status} />
                </span>
              </div>
              <p class="id">
                {d.id} · {TYPE_NAMES[d.type] ?? d.type}
              </p>
              <DeviceFacts device={d} />
              <div class="card-actions">
                {d.status === 'available' && can('devices.book') && (
                  <button type="button" class="primary" onClick={() => (reserving.value = { device: d, mode: 'book' })} aria-label={`Book ${d.name}`}>
                    Book
                  </button>
                )}
                {d.status !== 'available' && can('devices.queue') && (
                  <button type="button" onClick={() => (reserving.value = { device: d, mode: 'queue' })} aria-label={`Queue for ${d.name}`}>
                    Queue
                  </button>
                )}
                <To path={devicePath(d.id)} label={`Details of ${d.name}`}>
                  Details
                </To>
              </div>
            </li>
          ))}
        </ul>
      )}
      <div class="more">
        {list.loading.value && <span role="status">Loading…</span>}
        {!list.loading.value && list.cursor.value && (
          <button type="button" onClick={() => void list.more()}>
            Show more devices
          </button>
        )}
      </div>
      {reserving.value && (
        <ReserveDialog
          device={reserving.value.device}
          mode={reserving.value.mode}
          onClose={() => (reserving.value = null)}
          onDone={(message) => {
            const id = reserving.value?.device.id;
            reserving.value = null;
            notice.value = message;
            if (id) void reread(id);
          }}
        />
      )}
    </section>
  );
}
