// Alarms as the Alarms screen and a device's page list them, and acknowledging one: a person says
// they have seen it, with a comment the custody record keeps (who, when, what they did about it).
import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { call, get, Page, Problem } from '../api';
import { ReasonPrompt } from '../components/Dialogs';
import { usePaged } from '../components/usePaged';
import { onChange, onReload } from '../events';
import { instant } from '../format';
import { can } from '../session';
import { devicePath, To } from './DevicesParts';
import { Alarm, alarmInWords, alarmsQuery, COMMENT_MAX, isAlarmChange } from './TelemetryModel';
import './Telemetry.css';

/** "Acknowledge" on a row opens the comment prompt; the answer replaces the row, a refusal is said and the list read again. */
export function useAcknowledge(onDone: (alarm: Alarm) => void, reload: () => void, units?: Record<string, string>) {
  const asking = useSignal<Alarm | null>(null);
  const busy = useSignal(false);
  const fieldError = useSignal<string | undefined>(undefined);
  const notice = useSignal<{ tone: 'ok' | 'error'; text: string } | null>(null);

  async function acknowledge(alarm: Alarm, comment: string) {
    busy.value = true;
    fieldError.value = undefined;
    try {
      const answer = await call<Alarm>('POST', `/api/v1/alarms/${encodeURIComponent(alarm.id)}/acknowledge`, { comment });
      asking.value = null;
      notice.value = { tone: 'ok', text: `Acknowledged: ${alarmInWords(alarm, units?.[alarm.channel])} on ${alarm.device_id}.` };
      onDone(answer && answer.id ? answer : { ...alarm, acknowledged_by: 'you', acknowledged_at: new Date().toISOString(), comment });
    } catch (e) {
      const p = e instanceof Problem ? e : new Problem(0, String(e));
      if (p.status === 400 && p.at('comment')) {
        fieldError.value = p.at('comment');
      } else {
        asking.value = null;
        notice.value = { tone: 'error', text: `Not acknowledged: ${p.detail}` };
        reload();
      }
    } finally {
      busy.value = false;
    }
  }

  const dialog = asking.value && (
    <ReasonPrompt
      title="Acknowledge alarm"
      intro={`${alarmInWords(asking.value, units?.[asking.value.channel])} on ${asking.value.device_id}, raised ${instant(asking.value.raised_at)}.`}
      label="Comment (what was seen or done)"
      required
      missing="A comment is required: say what was seen or done."
      maxLength={COMMENT_MAX}
      confirm="Acknowledge"
      busy={busy.value}
      error={fieldError.value}
      onSubmit={(comment) => void acknowledge(asking.value as Alarm, comment)}
      onClose={() => {
        asking.value = null;
        fieldError.value = undefined;
      }}
    />
  );
  return { ask: (a: Alarm) => (asking.value = a), dialog, notice };
}

/** A list of alarms: a table on wide screens, a card per alarm on a phone. */
export function AlarmTable({ alarms, showDevice, units, onAcknowledge, labelledBy }: {
  alarms: Alarm[];
  showDevice: boolean;
  /** Channel → unit, when the page knows them. */
  units?: Record<string, string>;
  onAcknowledge: (alarm: Alarm) => void;
  labelledBy: string;
}) {
  const mayAcknowledge = can('alarms.acknowledge');
  return (
    <table class="rows alarms-table" aria-labelledby={labelledBy}>
      <thead>
        <tr>
          {showDevice && <th scope="col">Device</th>}
          <th scope="col">Alarm</th>
          <th scope="col">Severity</th>
          <th scope="col">Raised</th>
          <th scope="col">State</th>
          <th scope="col">Acknowledged</th>
          {mayAcknowledge && (
            <th scope="col">
              <span class="visually-hidden">Action</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {alarms.map((a) => (
          <tr key={a.id} data-alarm={a.id} data-active={String(a.active)}>
            {showDevice && (
              <td data-label="Device">
                <To path={devicePath(a.device_id)}>{a.device_id}</To>
              </td>
            )}
            <td data-label="Alarm" class="title">
              {alarmInWords(a, units?.[a.channel])}
            </td>
            <td data-label="Severity">
              <span class={`status severity-${a.severity}`}>{a.severity}</span>
            </td>
            <td data-label="Raised">{instant(a.raised_at)}</td>
            <td data-label="State">
              {/* one wrapper per cell: on a phone the cell is a grid of its label and its content */}
              <div>
                {a.active ? <span class="status alarm-active">active</span> : <span class="status alarm-cleared">cleared</span>}
                {a.cleared_at && <span class="since">{instant(a.cleared_at)}</span>}
              </div>
            </td>
            <td data-label="Acknowledged">
              {a.acknowledged_by ? (
                <div>
                  {a.acknowledged_by}
                  <span class="since">{instant(a.acknowledged_at)}</span>
                  {a.comment && <q class="comment">{a.comment}</q>}
                </div>
              ) : (
                'not yet'
              )}
            </td>
            {mayAcknowledge && (
              <td data-label="Action">
                {!a.acknowledged_by && (
                  <button type="button" onClick={() => onAcknowledge(a)} aria-label={`Acknowledge ${alarmInWords(a)} on ${a.device_id}`}>
                    Acknowledge
                  </button>
                )}
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What happened to the last acknowledgement, said where the list is. */
export function AckNotice({ notice }: { notice: { tone: 'ok' | 'error'; text: string } | null }) {
  if (!notice) return null;
  return (
    <p class={`ack-notice ${notice.tone}`} role={notice.tone === 'ok' ? 'status' : 'alert'}>
      {notice.text}
    </p>
  );
}

/** A device's active alarms, on its page; read again when one of its alarms is raised, cleared or acknowledged. */
export function DeviceAlarms({ deviceId, units }: { deviceId: string; units?: Record<string, string> }) {
  const list = usePaged<Alarm>(alarmsQuery({ active: true, deviceId, limit: 50 }), (a) => a.id);
  const ack = useAcknowledge(
    (done) => list.patch(done.id, () => done),
    () => void list.reload(),
    units,
  );
  useEffect(() => onChange('device', (change) => change.id === deviceId && isAlarmChange(change) && void list.reload()), [deviceId]);

  const count = list.rows.value.length;
  return (
    <section class={count > 0 ? 'device-alarms raised' : 'device-alarms'} aria-labelledby="device-alarms-heading" data-alarms={count}>
      <h3 id="device-alarms-heading">{count > 0 ? `Active alarms (${count})` : 'Alarms'}</h3>
      <AckNotice notice={ack.notice.value} />
      {list.error.value && (
        <p class="error" role="alert">
          The alarms could not be read: {list.error.value}
        </p>
      )}
      {count > 0 ? (
        <AlarmTable alarms={list.rows.value} showDevice={false} units={units} onAcknowledge={ack.ask} labelledBy="device-alarms-heading" />
      ) : (
        !list.loading.value && !list.error.value && <p class="empty">No alarm is active.</p>
      )}
      <p class="more-link">
        <To path="/alarms">All alarms of the lab</To>
      </p>
      {ack.dialog}
    </section>
  );
}

/** How many active alarms each device has, for the board's cards; read again on any alarm change and on the stream's reload. */
export function useActiveAlarmCounts(limit = 200) {
  const counts = useSignal<Record<string, number>>({});
  useEffect(() => {
    let latest = 0;
    const load = async () => {
      const n = ++latest;
      try {
        const page = await get<Page<Alarm>>(alarmsQuery({ active: true, limit }));
        if (n !== latest) return;
        const byDevice: Record<string, number> = {};
        page.items.forEach((a) => (byDevice[a.device_id] = (byDevice[a.device_id] ?? 0) + 1));
        counts.value = byDevice;
      } catch {
        // The board still shows every device; its page says what went wrong with the alarms.
      }
    };
    void load();
    const stopChanges = onChange('device', (change) => isAlarmChange(change) && void load());
    const stopReload = onReload(() => void load());
    return () => {
      latest++;
      stopChanges();
      stopReload();
    };
  }, []);
  return counts.value;
}

/** "2 alarms" beside a device's status, when it has any active. */
export function AlarmCount({ count }: { count: number | undefined }) {
  if (!count) return null;
  return <span class="status alarm-active">{count === 1 ? '1 alarm' : `${count} alarms`}</span>;
}
