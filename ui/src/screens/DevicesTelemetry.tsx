// A device's telemetry on its page: a chart per declared channel over the range the user picks,
// read from GET …/telemetry (with a step for long ranges) and kept moving by the live stream's
// `telemetry` frames. The frames are not resumed after a drop, so each reopening of the stream
// reads the history again; the window slides with the clock even when no reading comes.
import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { get, Problem } from '../api';
import { TimeChart } from '../components/TimeChart';
import { onStreamOpen, onTelemetry } from '../events';
import { instant } from '../format';
import {
  Channel,
  Channels,
  durationMs,
  emptySeries,
  isoDuration,
  largerStep,
  RangeKey,
  RANGES,
  rangeInWords,
  reading,
  Series,
  seriesOf,
  standing,
  stepFor,
  TelemetryAnswer,
  trimmed,
  withReadings,
} from './TelemetryModel';
import './Telemetry.css';

/** How often the window moves on without readings (a stale channel's chart must show time passing). */
const SLIDE_MS = 10_000;
/** Tries with a larger step when the API says the range holds too many rows. */
const STEP_TRIES = 3;

/** The telemetry panel of a device's page: the range picker and a chart per channel. */
export function DeviceTelemetry({ deviceId, onChannels }: { deviceId: string; onChannels?: (channels: Channel[]) => void }) {
  const channels = useSignal<Channel[] | null>(null);
  const failure = useSignal<string | null>(null);
  const range = useSignal<RangeKey>('15m');

  useEffect(() => {
    channels.value = null;
    failure.value = null;
    get<Channels>(`/api/v1/devices/${encodeURIComponent(deviceId)}/telemetry/channels`)
      .then((c) => {
        channels.value = c.channels;
        onChannels?.(c.channels);
      })
      .catch((e) => {
        if (e instanceof Problem && e.status === 404) channels.value = [];
        else failure.value = e instanceof Error ? e.message : String(e);
      });
  }, [deviceId]);

  return (
    <section class="telemetry" aria-labelledby="telemetry-heading">
      <div class="telemetry-head">
        <h3 id="telemetry-heading">Telemetry</h3>
        {!!channels.value?.length && (
          <fieldset class="range-picker">
            <legend>Time range</legend>
            {RANGES.map((r) => (
              <label key={r.key} class={range.value === r.key ? 'chosen' : undefined}>
                <input type="radio" name="telemetry-range" value={r.key} checked={range.value === r.key} onChange={() => (range.value = r.key)} />
                {r.label}
              </label>
            ))}
          </fieldset>
        )}
      </div>
      {failure.value && (
        <p class="error" role="alert">
          The channels could not be read: {failure.value}
        </p>
      )}
      {channels.value === null && !failure.value && <p role="status">Loading channels…</p>}
      {channels.value?.length === 0 && <p class="empty">This device declares no telemetry channels.</p>}
      <div class="charts">
        {channels.value?.map((c) => (
          <ChannelChart key={c.name} deviceId={deviceId} channel={c} rangeMs={RANGES.find((r) => r.key === range.value)!.ms} />
        ))}
      </div>
    </section>
  );
}

/** One channel: its history for the range, the live readings after it, and what the latest says against the limits. */
function ChannelChart({ deviceId, channel, rangeMs }: { deviceId: string; channel: Channel; rangeMs: number }) {
  const series = useSignal<Series>(emptySeries(null));
  const loading = useSignal(true);
  const failure = useSignal<string | null>(null);
  const truncated = useSignal(false);
  const now = useSignal(Date.now());
  const reads = useRef(0);
  // Live readings that arrive while the history is being read join it when it lands.
  const pending = useRef<{ at: string; value: number }[]>([]);

  async function load() {
    const n = ++reads.current;
    loading.value = true;
    pending.current = [];
    const to = Date.now();
    let step = stepFor(rangeMs, durationMs(channel.sampling_period));
    for (let attempt = 0; ; attempt++) {
      const params = new URLSearchParams({ channel: channel.name, from: new Date(to - rangeMs).toISOString(), to: new Date(to).toISOString() });
      if (step !== null) params.set('step', isoDuration(step));
      try {
        const answer = await get<TelemetryAnswer>(`/api/v1/devices/${encodeURIComponent(deviceId)}/telemetry?${params}`);
        if (n !== reads.current) return;
        series.value = withReadings(seriesOf(answer, step), pending.current);
        truncated.value = answer.truncated === true;
        failure.value = null;
        break;
      } catch (e) {
        if (n !== reads.current) return;
        if (e instanceof Problem && e.status === 400 && e.at('step') !== undefined && attempt < STEP_TRIES) {
          step = largerStep(step, e.at('step') ?? e.detail);
          continue;
        }
        failure.value = e instanceof Error ? e.message : String(e);
        break;
      }
    }
    pending.current = [];
    loading.value = false;
    now.value = Date.now();
  }

  useEffect(() => {
    void load();
    const stopOpen = onStreamOpen(() => void load());
    const stopTelemetry = onTelemetry((t) => {
      if (t.device_id !== deviceId || t.channel !== channel.name) return;
      if (loading.value) pending.current.push(...t.readings);
      else {
        now.value = Date.now();
        series.value = trimmed(withReadings(series.value, t.readings), now.value - rangeMs);
      }
    });
    const slide = setInterval(() => {
      now.value = Date.now();
      series.value = trimmed(series.value, now.value - rangeMs);
    }, SLIDE_MS);
    return () => {
      reads.current++;
      stopOpen();
      stopTelemetry();
      clearInterval(slide);
    };
  }, [deviceId, channel.name, rangeMs, channel.sampling_period]);

  const s = series.value;
  const last = s.at.length - 1;
  const latest = last >= 0 ? s.value[last] : null;
  const where = latest === null ? null : standing(latest, channel);
  const headingId = `chart-${channel.name}`;
  const rangeText = RANGES.find((r) => r.ms === rangeMs)?.label ?? '';
  const description =
    `${channel.name} in ${channel.unit} over the last ${rangeText}: ` +
    (last < 0
      ? 'no readings.'
      : `${s.at.length} ${s.step === null ? 'readings' : `buckets of ${isoDuration(s.step).slice(2).toLowerCase()}`}, ` +
        `from ${reading(Math.min(...s.min))} to ${reading(Math.max(...s.max))}; latest ${reading(latest)} at ${instant(new Date(s.at[last]).toISOString())}.`) +
    ` Expected range ${rangeInWords(channel)}.`;

  return (
    <figure class="channel" aria-labelledby={headingId} data-channel={channel.name} data-standing={where ?? 'none'}>
      <figcaption>
        <h4 id={headingId}>
          {channel.name} <span class="unit">({channel.unit})</span>
        </h4>
        <p class="channel-facts">
          <span class="latest">
            {latest === null ? 'No readings in this range' : `Latest ${reading(latest)} ${channel.unit}`}
            {where === 'above' && <strong class="out"> · above the high limit</strong>}
            {where === 'below' && <strong class="out"> · below the low limit</strong>}
          </span>
          <span class="expected">Expected {rangeInWords(channel)}</span>
          {s.step !== null && <span class="step">min/avg/max per {isoDuration(s.step).slice(2).toLowerCase()}</span>}
        </p>
      </figcaption>
      {failure.value && (
        <p class="error" role="alert">
          {channel.name}: {failure.value}
        </p>
      )}
      {truncated.value && <p class="hint">Only part of this range could be read; a shorter range shows every reading.</p>}
      {loading.value && s.at.length === 0 && <p role="status">Loading {channel.name}…</p>}
      <TimeChart
        series={s}
        from={now.value - rangeMs}
        to={now.value}
        low={channel.low ?? null}
        high={channel.high ?? null}
        unit={channel.unit}
        label={channel.name}
        description={description}
      />
    </figure>
  );
}
