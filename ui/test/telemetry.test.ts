import { describe, expect, test } from 'vitest';
import type { Change } from '../src/events';
import {
  Alarm,
  alarmInWords,
  alarmsQuery,
  deviceOfAlarm,
  durationMs,
  emptySeries,
  isAlarmChange,
  isoDuration,
  largerStep,
  rangeInWords,
  reading,
  seriesOf,
  standing,
  stepFor,
  TelemetryAnswer,
  trimmed,
  withReadings,
} from '../src/screens/TelemetryModel';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('the step a chart asks for', () => {
  test('15 minutes of a once-a-second channel are read raw; an hour and a day in buckets of about 720', () => {
    expect(stepFor(15 * MIN, 1000)).toBeNull();
    expect(stepFor(HOUR, 1000)).toBe(5000);
    expect(stepFor(24 * HOUR, 1000)).toBe(120_000);
    // a slow channel (once a minute) is raw even over a day: 1,440 points
    expect(stepFor(24 * HOUR, MIN)).toBeNull();
    // a fast one (10 per second) is stepped even over 15 minutes, and stays under the API's row bound
    const fast = stepFor(15 * MIN, 100)!;
    expect(fast).toBeGreaterThan(0);
    expect((15 * MIN) / fast).toBeLessThan(10_000);
  });

  test('durations go to the API in ISO-8601 and back', () => {
    expect(isoDuration(5000)).toBe('PT5S');
    expect(isoDuration(120_000)).toBe('PT2M');
    expect(isoDuration(5400_000)).toBe('PT1H30M');
    expect(durationMs('PT1S')).toBe(1000);
    expect(durationMs('PT0.5S')).toBe(500);
    expect(durationMs('P1D')).toBe(86_400_000);
    expect(durationMs('PT1M30S')).toBe(90_000);
    expect(durationMs('bogus')).toBeNaN();
    expect(durationMs('PT')).toBeNaN();
  });

  test('a step refused as too small is followed by the one the API names, else the next larger', () => {
    expect(largerStep(5000, 'ask with a step of at least PT1M')).toBe(60_000);
    expect(largerStep(5000, 'ask with a step of at least 90s')).toBe(120_000);
    expect(largerStep(null, 'too many rows')).toBe(1000);
    expect(largerStep(5000, 'too many rows')).toBe(10_000);
  });
});

const raw = (at: string, value: number) => ({ at, value, received_at: at, quality: 'good' as const });

describe('history and live readings on one chart', () => {
  test('raw points are ordered, a live reading already held is not added twice', () => {
    const answer: TelemetryAnswer = {
      device_id: 'incubator-1', channel: 'temperature', unit: '°C', from: '', to: '', step: null, truncated: false,
      points: [raw('2026-12-02T10:00:01Z', 37.2), raw('2026-12-02T10:00:00Z', 37.1)],
    };
    const s = seriesOf(answer, null);
    expect(s.value).toEqual([37.1, 37.2]);
    const live = withReadings(s, [{ at: '2026-12-02T10:00:01Z', value: 37.2 }, { at: '2026-12-02T10:00:02Z', value: 37.3 }]);
    expect(live.value).toEqual([37.1, 37.2, 37.3]);
    expect(s.value).toEqual([37.1, 37.2]); // the series held is not changed in place
  });

  test('with a step a live reading joins its bucket (min, avg, max) or starts the next one', () => {
    const answer: TelemetryAnswer = {
      device_id: 'incubator-1', channel: 'co2', unit: '%', from: '', to: '', step: 'PT1M', truncated: false,
      buckets: [{ at: '2026-12-02T10:00:00Z', min: 4.8, avg: 5, max: 5.2, count: 2 }],
    };
    const s = withReadings(seriesOf(answer, MIN), [{ at: '2026-12-02T10:00:30Z', value: 5.6 }, { at: '2026-12-02T10:01:10Z', value: 5.1 }]);
    expect(s.at).toEqual([Date.parse('2026-12-02T10:00:00Z'), Date.parse('2026-12-02T10:01:00Z')]);
    expect(s.min).toEqual([4.8, 5.1]);
    expect(s.max).toEqual([5.6, 5.1]);
    expect(s.value[0]).toBeCloseTo((5 * 2 + 5.6) / 3);
    expect(s.count).toEqual([3, 1]);
  });

  test('non-finite values are left out and the window slides: points before its start go', () => {
    const s = withReadings(emptySeries(null), [
      { at: '2026-12-02T10:00:00Z', value: 1 },
      { at: '2026-12-02T10:00:01Z', value: Number.NaN },
      { at: '2026-12-02T10:00:02Z', value: 3 },
    ]);
    expect(s.value).toEqual([1, 3]);
    expect(trimmed(s, Date.parse('2026-12-02T10:00:01Z')).value).toEqual([3]);
  });

  test('a raw live chart stays bounded however long the page is open', () => {
    let s = emptySeries(null);
    const start = Date.parse('2026-12-02T10:00:00Z');
    for (let i = 0; i < 10_000; i++) s = withReadings(s, [{ at: new Date(start + i * 100).toISOString(), value: i }]);
    expect(s.at.length).toBeLessThanOrEqual(4000);
    expect(s.value[s.value.length - 1]).toBe(9999);
  });
});

describe('values against the limits', () => {
  test('standing, range and readings in words', () => {
    const channel = { low: 36, high: 38, unit: '°C' };
    expect(standing(35.9, channel)).toBe('below');
    expect(standing(38.1, channel)).toBe('above');
    expect(standing(37, channel)).toBe('within');
    expect(standing(99, { low: null, high: null })).toBe('within');
    expect(rangeInWords(channel)).toBe('36–38 °C');
    expect(rangeInWords({ low: null, high: 5, unit: '%' })).toBe('at most 5 %');
    expect(reading(37.123456)).toBe('37.12');
    expect(reading(0.004217)).toBe('0.0042');
    expect(reading(null)).toBe('—');
  });
});

const alarm: Alarm = {
  id: 'incubator-1~3', device_id: 'incubator-1', channel: 'temperature', kind: 'high', severity: 'critical',
  raised_at: '2026-12-02T10:00:00Z', value: 39.2, threshold: 38, cleared_at: null,
  acknowledged_by: null, acknowledged_at: null, comment: null, active: true,
};

describe('alarms', () => {
  test('an alarm in words names the channel, what is wrong, the value and the limit', () => {
    expect(alarmInWords(alarm, '°C')).toBe('temperature above its high limit: 39.2 °C (limit 38 °C)');
    expect(alarmInWords({ ...alarm, kind: 'stale', value: null, threshold: null })).toBe('temperature no readings');
    expect(alarmInWords({ ...alarm, kind: 'rate', value: 2.5, threshold: 1 }, '°C')).toBe('temperature changing too fast: 2.5 °C/s (limit 1 °C/s)');
  });

  test('alarm changes of a device are recognised by type or by change, other device changes are not', () => {
    const c = (fields: Record<string, unknown>): Change => ({ type: 'device.status_changed', entity: 'device', id: 'incubator-1', ...fields });
    expect(isAlarmChange(c({ type: 'device.alarm_raised' }))).toBe(true);
    expect(isAlarmChange(c({ type: 'device.alarm_acknowledged' }))).toBe(true);
    expect(isAlarmChange(c({ change: 'alarm_cleared' }))).toBe(true);
    expect(isAlarmChange(c({}))).toBe(false);
    expect(isAlarmChange({ type: 'specimen.alarm_raised', entity: 'specimen', id: 'x' })).toBe(false);
  });

  test('the alarms query and the device an alarm id names', () => {
    expect(alarmsQuery({ active: true, deviceId: 'incubator 1', limit: 50 })).toBe('/api/v1/alarms?active=true&device_id=incubator+1&limit=50');
    expect(alarmsQuery({ active: false, limit: 50 })).toBe('/api/v1/alarms?limit=50');
    expect(deviceOfAlarm('incubator-1~3')).toBe('incubator-1');
  });
});
