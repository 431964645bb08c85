// A device's telemetry and alarms as the device page and the Alarms screen read them (docs/telemetry.md
// has the wire formats), and the rules the charts follow, kept apart from the views so the unit tests
// can check them: which step a range asks for, how live readings join the history, what an alarm says.
import type { Change } from '../events';

/** One declared channel (GET /devices/{id}/telemetry/channels). */
export interface Channel {
  name: string;
  unit: string;
  low: number | null;
  high: number | null;
  hysteresis?: number | null;
  max_rate_per_second?: number | null;
  /** ISO-8601 duration, "PT1S". */
  sampling_period: string;
  stale_after_periods?: number;
  severity: 'warning' | 'critical';
}

export interface Channels {
  device_id: string;
  source: 'type' | 'device';
  channels: Channel[];
}

export interface RawPoint {
  at: string;
  value: number;
  received_at?: string;
  quality?: 'good' | 'future';
}

export interface Bucket {
  at: string;
  min: number;
  avg: number;
  max: number;
  count: number;
}

/** GET /devices/{id}/telemetry: raw points, or buckets when asked with a step. */
export interface TelemetryAnswer {
  device_id: string;
  channel: string;
  unit: string;
  from: string;
  to: string;
  step: string | null;
  points?: RawPoint[];
  buckets?: Bucket[];
  truncated: boolean;
}

/** One alarm (GET /api/v1/alarms); id is `<device id>~<n>`. */
export interface Alarm {
  id: string;
  device_id: string;
  channel: string;
  kind: 'high' | 'low' | 'rate' | 'stale';
  severity: 'warning' | 'critical';
  raised_at: string;
  value: number | null;
  threshold: number | null;
  cleared_at: string | null;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  comment: string | null;
  active: boolean;
}

/** The API's bound on an acknowledgement's comment. */
export const COMMENT_MAX = 500;

/** The time ranges the charts offer. */
export const RANGES = [
  { key: '15m', label: '15 min', ms: 15 * 60_000 },
  { key: '1h', label: '1 h', ms: 60 * 60_000 },
  { key: '24h', label: '24 h', ms: 24 * 60 * 60_000 },
] as const;
export type RangeKey = (typeof RANGES)[number]['key'];

/** At most this many raw points per chart: more than a phone's pixels, well below the API's row bound. */
export const MAX_RAW_POINTS = 2000;
/** A stepped chart aims at about this many buckets. */
const TARGET_BUCKETS = 720;

const NICE_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400];

/** An ISO-8601 duration of whole seconds ("PT1S", "PT1M30S", "PT2H", "P1D") in milliseconds; NaN when unreadable. */
export function durationMs(iso: string | null | undefined): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec((iso ?? '').trim());
  if (!m || (iso ?? '').endsWith('T') || (iso ?? '') === 'P') return NaN;
  const [d, h, min, s] = m.slice(1).map((x) => (x ? Number(x) : 0));
  return ((d * 24 + h) * 60 + min) * 60_000 + s * 1000;
}

/** Milliseconds (whole seconds) as an ISO-8601 duration the API reads: "PT5S", "PT1M", "PT1H30M". */
export function isoDuration(ms: number): string {
  let s = Math.max(1, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
}

/** The smallest step of the nice series that is at least this long. */
export function niceStep(atLeastMs: number): number {
  const s = NICE_STEPS_S.find((n) => n * 1000 >= atLeastMs);
  return (s ?? NICE_STEPS_S[NICE_STEPS_S.length - 1]) * 1000;
}

/**
 * The step to ask for a range (null: raw readings). A channel sampled once a second gives 900
 * raw points in 15 minutes, which the chart shows as they are; an hour or a day of it is
 * asked as min/avg/max per bucket, about 720 of them, so the answer stays small and within
 * the API's row bound.
 */
export function stepFor(rangeMs: number, samplingPeriodMs: number): number | null {
  const period = Number.isFinite(samplingPeriodMs) && samplingPeriodMs > 0 ? samplingPeriodMs : 1000;
  if (rangeMs / period <= MAX_RAW_POINTS) return null;
  return niceStep(rangeMs / TARGET_BUCKETS);
}

/**
 * The step to try after the API refused one (400 naming `step`, "ask with a step of at least
 * …"): the step it names when its message holds one, else the next nice step up.
 */
export function largerStep(refusedMs: number | null, detail: string): number {
  const named = /at least\s+(P[0-9DTHMS.]+|\d+\s*(?:ms|s|m|h|d))\b/i.exec(detail)?.[1];
  if (named) {
    const ms = named.toUpperCase().startsWith('P') ? durationMs(named.toUpperCase()) : shortDurationMs(named);
    if (Number.isFinite(ms) && ms > (refusedMs ?? 0)) return niceStep(ms);
  }
  return niceStep((refusedMs ?? 500) + 1);
}

function shortDurationMs(s: string): number {
  const m = /^(\d+)\s*(ms|s|m|h|d)$/i.exec(s.trim());
  if (!m) return NaN;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2].toLowerCase() as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/**
 * What one chart holds: times (ms) with a value each (the reading, or a bucket's average) and,
 * for buckets, the min and max (a band) and the count (so a live reading can join its bucket).
 */
export interface Series {
  /** The bucket length in ms; null when the points are raw readings. */
  step: number | null;
  at: number[];
  value: number[];
  min: number[];
  max: number[];
  count: number[];
}

export function emptySeries(step: number | null): Series {
  return { step, at: [], value: [], min: [], max: [], count: [] };
}

function push(s: Series, at: number, value: number, min: number, max: number, count: number): void {
  s.at.push(at);
  s.value.push(value);
  s.min.push(min);
  s.max.push(max);
  s.count.push(count);
}

/** The series of an answer of GET …/telemetry, oldest first. */
export function seriesOf(answer: TelemetryAnswer, step: number | null): Series {
  const s = emptySeries(step);
  if (answer.buckets) {
    for (const b of [...answer.buckets].sort((x, y) => Date.parse(x.at) - Date.parse(y.at))) push(s, Date.parse(b.at), b.avg, b.min, b.max, b.count);
  } else {
    for (const p of [...(answer.points ?? [])].sort((x, y) => Date.parse(x.at) - Date.parse(y.at))) push(s, Date.parse(p.at), p.value, p.value, p.value, 1);
  }
  return s;
}

/**
 * The series with live readings added. Raw: a reading goes in at its time (one already held at
 * that instant is not added twice: the history read and the live stream overlap). Stepped: it
 * joins the bucket of its time (min, max and the average updated), or starts the next one. A
 * reading older than the last point held is left out: the history already has its period.
 */
export function withReadings(series: Series, readings: { at: string; value: number }[]): Series {
  const s: Series = { step: series.step, at: [...series.at], value: [...series.value], min: [...series.min], max: [...series.max], count: [...series.count] };
  for (const r of [...readings].sort((x, y) => Date.parse(x.at) - Date.parse(y.at))) {
    const t = Date.parse(r.at);
    if (!Number.isFinite(t) || typeof r.value !== 'number' || !Number.isFinite(r.value)) continue;
    const last = s.at.length - 1;
    if (s.step === null) {
      if (last < 0 || t > s.at[last]) push(s, t, r.value, r.value, r.value, 1);
      continue;
    }
    const bucket = Math.floor(t / s.step) * s.step;
    if (last >= 0 && bucket < s.at[last]) continue;
    if (last >= 0 && bucket === s.at[last]) {
      const n = s.count[last];
      s.value[last] = (s.value[last] * n + r.value) / (n + 1);
      s.min[last] = Math.min(s.min[last], r.value);
      s.max[last] = Math.max(s.max[last], r.value);
      s.count[last] = n + 1;
    } else {
      push(s, bucket, r.value, r.value, r.value, 1);
    }
  }
  return trimmed(s, -Infinity, s.step === null ? MAX_RAW_POINTS * 2 : Infinity);
}

/** The series without points before `from`, and at most `keep` of the newest: a live chart slides and stays bounded. */
export function trimmed(series: Series, from: number, keep = Infinity): Series {
  let first = series.at.findIndex((t) => t >= from);
  if (first < 0) first = series.at.length;
  first = Math.max(first, series.at.length - keep);
  if (first <= 0) return series;
  return {
    step: series.step,
    at: series.at.slice(first),
    value: series.value.slice(first),
    min: series.min.slice(first),
    max: series.max.slice(first),
    count: series.count.slice(first),
  };
}

/** Where a value stands against the channel's expected range. */
export function standing(value: number, channel: Pick<Channel, 'low' | 'high'>): 'below' | 'above' | 'within' {
  if (channel.low !== null && channel.low !== undefined && value < channel.low) return 'below';
  if (channel.high !== null && channel.high !== undefined && value > channel.high) return 'above';
  return 'within';
}

/** A reading for people: at most 4 significant decimals, no trailing noise ("37.1", "0.0042"). */
export function reading(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 4;
  return String(Number(value.toFixed(digits)));
}

/** "36–38 °C", "above 5 %", "no range declared". */
export function rangeInWords(channel: Pick<Channel, 'low' | 'high' | 'unit'>): string {
  const { low, high, unit } = channel;
  if (low != null && high != null) return `${reading(low)}–${reading(high)} ${unit}`;
  if (low != null) return `at least ${reading(low)} ${unit}`;
  if (high != null) return `at most ${reading(high)} ${unit}`;
  return 'no range declared';
}

const KINDS: Record<Alarm['kind'], string> = {
  high: 'above its high limit',
  low: 'below its low limit',
  rate: 'changing too fast',
  stale: 'no readings',
};

/** What an alarm says, for a list and a screen reader: "temperature above its high limit: 39.2 (limit 38)". */
export function alarmInWords(alarm: Alarm, unit = ''): string {
  const what = `${alarm.channel} ${KINDS[alarm.kind] ?? alarm.kind}`;
  const u = unit ? ` ${unit}` : '';
  if (alarm.kind === 'stale') return what;
  const value = alarm.value === null ? '' : `: ${reading(alarm.value)}${alarm.kind === 'rate' ? `${u}/s` : u}`;
  const limit = alarm.threshold === null ? '' : ` (limit ${reading(alarm.threshold)}${alarm.kind === 'rate' ? `${u}/s` : u})`;
  return what + value + limit;
}

const ALARM_CHANGES = ['alarm_raised', 'alarm_cleared', 'alarm_acknowledged'];

/**
 * Whether a live change is one of a device's alarms (raised, cleared, acknowledged): the alarm
 * lists read again. The stream names it in `type` ("device.alarm_raised") or in `change`.
 */
export function isAlarmChange(change: Change): boolean {
  if (change.entity !== 'device') return false;
  const what = String(change.type ?? '').replace(/^device\./, '');
  return ALARM_CHANGES.includes(what) || ALARM_CHANGES.includes(String(change.change ?? ''));
}

/** The alarms query: active ones (of one device, when given). */
export function alarmsQuery(options: { active: boolean; deviceId?: string; limit: number }): string {
  const params = new URLSearchParams();
  if (options.active) params.set('active', 'true');
  if (options.deviceId) params.set('device_id', options.deviceId);
  params.set('limit', String(options.limit));
  return `/api/v1/alarms?${params}`;
}

/** The device an alarm id names (`<device id>~<n>`). */
export function deviceOfAlarm(id: string): string {
  const i = id.lastIndexOf('~');
  return i < 0 ? id : id.slice(0, i);
}
