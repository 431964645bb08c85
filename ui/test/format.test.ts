import { describe, expect, test } from 'vitest';
import { scheduleInWords } from '../src/format';
import { screensFor } from '../src/roles';

describe('a schedule in words (the list label; the server preview is the authority)', () => {
  test('a daily cron reads as words with its zone', () => {
    expect(scheduleInWords({ cron: '0 0 6 * * ?', timezone: 'Europe/Berlin' })).toBe('every day at 06:00 Europe/Berlin');
    expect(scheduleInWords({ cron: '0 30 7 ? * MON-FRI', timezone: 'UTC' })).toBe('every weekday at 07:30 UTC');
    expect(scheduleInWords({ cron: '0 0/15 * * * ?', timezone: 'UTC' })).toBe('every 15 minutes (UTC)');
  });

  test('an unusual cron is shown as it is', () => {
    expect(scheduleInWords({ cron: '0 0 6 L * ?', timezone: 'UTC' })).toBe('cron 0 0 6 L * ? (UTC)');
  });

  test('a one-time schedule reads as once', () => {
    expect(scheduleInWords({ at: '2030-01-02T03:04:00Z' })).toMatch(/^once, /);
  });
});

test('each role sees the screens the API lets it use', () => {
  expect(screensFor(['viewer']).map((s) => s.label)).toEqual(['Lab tests', 'Specimens', 'Devices', 'Workflows', 'Alarms', 'Clients']);
  expect(screensFor(['admin']).map((s) => s.label).at(-1)).toBe('Administration');
  expect(screensFor(['instrument'])).toEqual([]);
});
