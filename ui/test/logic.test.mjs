// Unit tests of the UI's own logic, on Node 18 and 20 without a browser: esbuild compiles the
// TypeScript module in memory and the test imports it from a data: URL.
import { build } from 'esbuild';
import assert from 'node:assert/strict';
import { test } from 'node:test';

async function load(entry) {
  const out = await build({ entryPoints: [entry], bundle: true, format: 'esm', write: false, logLevel: 'silent' });
  return import('data:text/javascript;base64,' + Buffer.from(out.outputFiles[0].text).toString('base64'));
}

const { scheduleInWords } = await load('src/format.ts');
const { screensFor, allowed, PLAN_LAB_TESTS } = await load('src/roles.ts');

test('a daily cron reads as words with its zone', () => {
  assert.equal(scheduleInWords({ cron: '0 0 6 * * ?', timezone: 'Europe/Berlin' }), 'every day at 06:00 Europe/Berlin');
  assert.equal(scheduleInWords({ cron: '0 30 7 ? * MON-FRI', timezone: 'UTC' }), 'every weekday at 07:30 UTC');
  assert.equal(scheduleInWords({ cron: '0 0/15 * * * ?', timezone: 'UTC' }), 'every 15 minutes (UTC)');
});

test('an unusual cron is shown as it is', () => {
  assert.equal(scheduleInWords({ cron: '0 0 6 L * ?', timezone: 'UTC' }), 'cron 0 0 6 L * ? (UTC)');
});

test('a one-time schedule reads as once', () => {
  assert.match(scheduleInWords({ at: '2030-01-02T03:04:00Z' }), /^once, /);
});

test('each role sees the screens the API lets it use', () => {
  assert.deepEqual(screensFor(['viewer']).map((s) => s.label), ['Lab tests', 'Specimens', 'Devices', 'Workflows']);
  assert.deepEqual(screensFor(['admin']).map((s) => s.label).at(-1), 'Administration');
  assert.deepEqual(screensFor(['instrument']), []);
  assert.equal(allowed(['viewer'], PLAN_LAB_TESTS), false);
  assert.equal(allowed(['reviewer', 'technician'], PLAN_LAB_TESTS), true);
});
