import { describe, expect, test } from 'vitest';
import type { Change } from '../src/events';
import {
  actionFieldOf,
  appendOnce,
  applyToDeadLetters,
  applyToExecutions,
  applyToList,
  blankForm,
  DeadLetter,
  definitionOf,
  Execution,
  firedBy,
  formOf,
  instantToZoned,
  LabTest,
  LabTestRow,
  lateness,
  placeNew,
  statusUnknownAfter,
  wallClock,
  zonedToInstant,
} from '../src/screens/LabTestsModel';

const row = (id: string, next: string | null, status = 'scheduled'): LabTestRow => ({
  id,
  title: id,
  type: null,
  experiment: null,
  recipients: [],
  status,
  action_kind: 'http',
  next_fire_at: next,
  schedule: { cron: '0 0 6 * * ?', timezone: 'UTC', description: 'every day at 06:00 UTC' },
});
const change = (fields: Partial<Change> & { type: string; id: string }): Change => ({ entity: fields.type.split('.')[0], ...fields }) as Change;

describe('the list follows live changes', () => {
  const rows = [row('LT-00000000000a', '2030-01-01T06:00:00Z'), row('LT-00000000000c', '2030-01-03T06:00:00Z')];

  test('a created test is placed in the order of the view, once', () => {
    const created = change({ type: 'lab_test.created', id: 'LT-00000000000b', title: 'New', lab_test_type: 'calibration', next_fire_at: '2030-01-02T06:00:00Z', status: 'scheduled', schedule: { at: '2030-01-02T06:00:00Z' } });
    const after = applyToList(rows, created, 'upcoming', false);
    expect(after.map((r) => r.id)).toEqual(['LT-00000000000a', 'LT-00000000000b', 'LT-00000000000c']);
    expect(after[1].type).toBe('calibration');
    expect(applyToList(after, created, 'upcoming', false)).toHaveLength(3);
  });

  test('a test due after the loaded page is left for the next page; the paused view takes no new test', () => {
    const late = change({ type: 'lab_test.created', id: 'LT-00000000000d', title: 'Late', next_fire_at: '2031-01-01T00:00:00Z', status: 'scheduled' });
    expect(applyToList(rows, late, 'upcoming', true)).toEqual(rows);
    expect(applyToList(rows, late, 'upcoming', false)).toHaveLength(3);
    expect(applyToList(rows, late, 'paused', false)).toEqual(rows);
  });

  test('pause clears the next run, an execution sets the status, delete removes the row', () => {
    const paused = applyToList(rows, change({ type: 'lab_test.paused', id: 'LT-00000000000a', status: 'paused', next_fire_at: null }), 'upcoming', false);
    expect(paused[0]).toMatchObject({ status: 'paused', next_fire_at: null });
    const running = applyToList(rows, change({ type: 'lab_test_execution.started', id: 'LT-00000000000c-1', lab_test_id: 'LT-00000000000c', status: 'started', lab_test_status: 'running' }), 'upcoming', false);
    expect(running[1].status).toBe('running');
    expect(running[0]).toBe(rows[0]);
    expect(applyToList(rows, change({ type: 'lab_test.deleted', id: 'LT-00000000000a', status: 'deleted', next_fire_at: null }), 'all', false).map((r) => r.id)).toEqual(['LT-00000000000c']);
  });

  test('an edit that cleared the type and experiment clears them', () => {
    const typed = { ...rows[0], type: 'calibration', experiment: 'EXP-1' };
    const edited = applyToList([typed], change({ type: 'lab_test.edited', id: typed.id, title: 'Renamed', next_fire_at: '2030-02-01T06:00:00Z' }), 'all', false);
    expect(edited[0]).toMatchObject({ title: 'Renamed', type: null, experiment: null, next_fire_at: '2030-02-01T06:00:00Z' });
  });

  test('an ending without a next run leaves the status to the test itself', () => {
    expect(statusUnknownAfter(change({ type: 'lab_test_execution.succeeded', id: 'x', status: 'succeeded' }))).toBe(true);
    expect(statusUnknownAfter(change({ type: 'lab_test_execution.succeeded', id: 'x', status: 'succeeded', lab_test_status: 'scheduled' }))).toBe(false);
    expect(statusUnknownAfter(change({ type: 'lab_test_execution.failed', id: 'x', status: 'retrying' }))).toBe(false);
    expect(statusUnknownAfter(change({ type: 'dead_letter.created', id: 'x' }))).toBe(true);
  });

  test('placeNew in the all view orders by id', () => {
    expect(placeNew(rows, row('LT-000000000001', null), 'all', true).map((r) => r.id)[0]).toBe('LT-000000000001');
  });
});

describe('executions and dead letters follow live changes', () => {
  const started = change({ type: 'lab_test_execution.started', id: 'LT-00000000000a-1000', lab_test_id: 'LT-00000000000a', due_at: '2030-01-01T06:00:00Z', attempt: 1, status: 'started', fired_by: 'schedule' });
  const failed = change({ type: 'lab_test_execution.failed', id: 'LT-00000000000a-1000', lab_test_id: 'LT-00000000000a', attempt: 1, status: 'retrying', lateness_ms: 12, log: ['POST http://x answered 503'] });

  test('a new execution goes on top (newest first); its attempts add their log lines once', () => {
    const older = { ...applyToExecutions([], { ...started, id: 'LT-00000000000a-0999' }, false)[0] };
    let rows: Execution[] = applyToExecutions([older], started, true);
    expect(rows.map((r) => r.execution_id)).toEqual(['LT-00000000000a-1000', 'LT-00000000000a-0999']);
    expect(applyToExecutions(rows, { ...started, id: 'LT-00000000000a-0998' }, true)).toEqual(rows); // older than the page: a later page has it
    rows = rows.slice(0, 1);
    rows = applyToExecutions(rows, failed, false);
    rows = applyToExecutions(rows, failed, false); // the same change again, after a read that held it
    expect(rows[0]).toMatchObject({ status: 'retrying', lateness_ms: 12, log: ['POST http://x answered 503'] });
  });

  test('appendOnce', () => {
    expect(appendOnce(['a', 'b'], ['b'])).toEqual(['a', 'b']);
    expect(appendOnce(['a', 'b'], ['c'])).toEqual(['a', 'b', 'c']);
  });

  test('a dead letter is listed, marked while retried, and leaves when the retry succeeds', () => {
    const created = change({ type: 'dead_letter.created', id: 'LT-00000000000a-1000', lab_test_id: 'LT-00000000000a', due_at: '2030-01-01T06:00:00Z', attempts: 4, error: '503', dead_lettered_at: '2030-01-01T06:01:00Z' });
    let letters: DeadLetter[] = applyToDeadLetters([], created, undefined, false);
    expect(letters).toHaveLength(1);
    expect(applyToDeadLetters([], created, 'LT-00000000000b', false)).toEqual([]);
    letters = applyToDeadLetters(letters, change({ type: 'lab_test_execution.started', id: 'LT-00000000000a-1000', lab_test_id: 'LT-00000000000a' }), undefined, false);
    expect(letters[0].retrying).toBe(true);
    expect(applyToDeadLetters(letters, change({ type: 'lab_test_execution.succeeded', id: 'LT-00000000000a-1000', lab_test_id: 'LT-00000000000a' }), undefined, false)).toEqual([]);
    expect(applyToDeadLetters(letters, change({ type: 'lab_test.deleted', id: 'LT-00000000000a' }), undefined, false)).toEqual([]);
  });
});

describe('times as a lab user reads them', () => {
  test('the server wall-clock time keeps its offset', () => {
    const berlin = wallClock('2027-03-28T06:00:00+02:00');
    expect(berlin).toMatch(/^Sun.*28.*2027, 06:00:00 \(UTC\+02:00\)$/);
    expect(berlin).toMatch(/Mar/);
    expect(wallClock('2027-03-28T04:00:00Z')).toMatch(/2027, 04:00:00 \(UTC\)$/);
  });

  test('a date-time in a zone becomes the instant java.time gives it, across daylight-saving changes', () => {
    expect(zonedToInstant('2026-07-01T06:00', 'Europe/Berlin')).toBe('2026-07-01T04:00:00.000Z');
    expect(zonedToInstant('2026-01-01T06:00:30', 'Europe/Berlin')).toBe('2026-01-01T05:00:30.000Z');
    // 02:30 on 29 March 2026 does not exist in Berlin: read with the offset before, 03:30 summer time.
    expect(zonedToInstant('2026-03-29T02:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    // 02:30 on 25 October 2026 happens twice: the earlier one, still summer time.
    expect(zonedToInstant('2026-10-25T02:30', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
    expect(zonedToInstant('2026-10-25T02:30', 'Not/AZone')).toBeNull();
    expect(instantToZoned('2026-07-01T04:00:00Z', 'Europe/Berlin')).toBe('2026-07-01T06:00:00');
  });

  test('lateness and who fired', () => {
    expect(lateness(250)).toBe('on time');
    expect(lateness(2500)).toBe('2.5 s late');
    expect(lateness(180_000)).toBe('3 min late');
    expect(firedBy('schedule')).toBe('on schedule');
    expect(firedBy('manual:sam')).toBe('run now by sam');
    expect(firedBy('dead-letter-retry:sam')).toBe('retried by sam');
  });
});

describe('the form and the API', () => {
  test('an http test becomes the body of POST /lab-tests; empty optional fields are left to the API defaults', () => {
    const form = { ...blankForm('Europe/Berlin'), title: ' Blank run ', once: false, cron: '0 0 6 * * ?', url: 'http://127.0.0.1:9/', recipients: 'a@example.org, b@example.org' };
    expect(definitionOf(form)).toEqual({
      body: {
        title: 'Blank run',
        type: undefined,
        experiment: undefined,
        recipients: ['a@example.org', 'b@example.org'],
        schedule: { cron: '0 0 6 * * ?', timezone: 'Europe/Berlin' },
        action: { kind: 'http', url: 'http://127.0.0.1:9/', method: 'POST' },
        max_retries: 3,
        misfire_policy: 'fire_once',
      },
    });
  });

  test('a once test is sent as the instant of its wall-clock time in the zone', () => {
    const body = definitionOf({ ...blankForm('Europe/Berlin'), title: 't', at: '2026-07-01T06:00', url: 'http://x/' });
    expect('body' in body && body.body.schedule).toEqual({ at: '2026-07-01T04:00:00.000Z' });
    expect(definitionOf({ ...blankForm('Nowhere/Else'), title: 't', at: '2026-07-01T06:00' })).toEqual({
      problems: [{ field: 'schedule.timezone', message: expect.stringContaining('time zone') }],
    });
  });

  test('workflow steps and pipeline parameters are read line by line', () => {
    const workflow = definitionOf({ ...blankForm('UTC'), title: 't', once: false, kind: 'workflow', deviceId: 'reader-1', steps: 'read_absorbance\n{"operation":"shake","parameters":{"s":5}}\n', queue: false, priority: 'urgent' });
    expect('body' in workflow && workflow.body.action).toEqual({ kind: 'workflow', device_id: 'reader-1', steps: ['read_absorbance', { operation: 'shake', parameters: { s: 5 } }], queue: false, priority: 'urgent' });
    expect(definitionOf({ ...blankForm('UTC'), kind: 'workflow', steps: '{oops' })).toEqual({ problems: [{ field: 'action.steps', message: expect.stringContaining('line 1') }] });
    const analysis = definitionOf({ ...blankForm('UTC'), title: 't', once: false, kind: 'analysis', pipeline: 'qc', parameters: 'depth = 30\nref=hg38' });
    expect('body' in analysis && analysis.body.action).toEqual({ kind: 'analysis', pipeline: 'qc', parameters: { depth: '30', ref: 'hg38' } });
  });

  test("the API's message about an action goes to the field of the parameter it names", () => {
    expect(actionFieldOf('url must be an absolute http or https URL', 'http')).toBe('action.url');
    expect(actionFieldOf('an http action needs a url', 'http')).toBe('action.url');
    expect(actionFieldOf('expected_status must be an HTTP status, 100-599', 'http')).toBe('action.expected_status');
    expect(actionFieldOf('a workflow action needs a device_id (…)', 'workflow')).toBe('action.device_id');
    expect(actionFieldOf('steps[0]: must be an operation name', 'workflow')).toBe('action.steps');
    expect(actionFieldOf('an http action takes no \'x\'', 'http')).toBe('action.kind');
  });

  test('editing starts from the test as it is', () => {
    const test: LabTest = {
      ...row('LT-00000000000a', null),
      schedule: { at: '2026-07-01T04:00:00Z', description: 'once' },
      action: { kind: 'http', url: 'http://x/', method: 'PUT', timeout_ms: 5000 },
      max_retries: 1,
      misfire_policy: 'skip',
      dead_letters: [],
      created_by: 'sam',
      created_at: '2026-01-01T00:00:00Z',
    };
    const form = formOf(test, 'Europe/Berlin');
    expect(form).toMatchObject({ once: true, at: '2026-07-01T06:00:00', timezone: 'Europe/Berlin', method: 'PUT', timeoutMs: '5000', maxRetries: '1', misfirePolicy: 'skip' });
    const again = definitionOf(form);
    expect('body' in again && again.body.schedule).toEqual({ at: '2026-07-01T04:00:00.000Z' });
  });
});
