import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { usePaged } from '../components/usePaged';
import { onChange } from '../events';
import { AckNotice, AlarmTable, useAcknowledge } from './AlarmsParts';
import { Alarm, alarmsQuery, isAlarmChange } from './TelemetryModel';

const PAGE_SIZE = 50;

/**
 * The lab's alarms: the active ones by default, or all of them, with who acknowledged each and
 * why. An alarm raised, cleared or acknowledged anywhere reads the list again (the live stream
 * carries them as device changes).
 */
export function Alarms(_: { rest: string }) {
  const activeOnly = useSignal(true);
  const list = usePaged<Alarm>(alarmsQuery({ active: activeOnly.value, limit: PAGE_SIZE }), (a) => a.id);
  const ack = useAcknowledge(
    (done) => list.patch(done.id, () => done),
    () => void list.reload(),
  );

  useEffect(() => onChange('device', (change) => isAlarmChange(change) && void list.reload()), [activeOnly.value]);

  return (
    <section class="screen alarms" aria-labelledby="alarms-heading">
      <div class="screen-head">
        <h2 id="alarms-heading">{activeOnly.value ? 'Active alarms' : 'All alarms'}</h2>
        <button type="button" onClick={() => void list.reload()} disabled={list.loading.value}>
          Refresh
        </button>
      </div>
      <fieldset class="range-picker">
        <legend>Show</legend>
        <label class={activeOnly.value ? 'chosen' : undefined}>
          <input type="radio" name="alarm-filter" checked={activeOnly.value} onChange={() => (activeOnly.value = true)} />
          Active
        </label>
        <label class={!activeOnly.value ? 'chosen' : undefined}>
          <input type="radio" name="alarm-filter" checked={!activeOnly.value} onChange={() => (activeOnly.value = false)} />
          All
        </label>
      </fieldset>
      <p class="hint">
        A critical alarm takes its device offline; it stays offline after the alarm clears until someone marks it available on the device's page.
      </p>
      <AckNotice notice={ack.notice.value} />
      {list.error.value && (
        <p class="error" role="alert">
          {list.error.value}
        </p>
      )}
      {list.rows.value.length > 0 ? (
        <AlarmTable alarms={list.rows.value} showDevice onAcknowledge={ack.ask} labelledBy="alarms-heading" />
      ) : (
        !list.loading.value && !list.error.value && <p class="empty">{activeOnly.value ? 'No alarm is active.' : 'No alarm has been raised.'}</p>
      )}
      <div class="more">
        {list.loading.value && <span role="status">Loading…</span>}
        {!list.loading.value && list.cursor.value && (
          <button type="button" onClick={() => void list.more()}>
            Show more alarms
          </button>
        )}
      </div>
      {ack.dialog}
    </section>
  );
}
