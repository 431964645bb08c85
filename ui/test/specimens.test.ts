import { describe, expect, test } from 'vitest';
import {
  CustodyEntry,
  lifecycleSteps,
  MAIN_PATH,
  newlyRegisteredMatches,
  otherStates,
  scanned,
  specimensQuery,
  STATES,
  timeLeft,
} from '../src/screens/SpecimensLifecycle';

/** A chain of custody through these states, in order. */
function chain(...states: string[]): CustodyEntry[] {
  return states.map((to, i) => ({
    action: i === 0 ? 'register' : 'x',
    from: i === 0 ? null : states[i - 1],
    to,
    actor: 'tina',
    role: 'technician',
    at: '2026-12-02T08:00:00Z',
    reason: null,
    ip: '127.0.0.1',
    request_id: `r-${i}`,
  }));
}
const upTo = (state: string) => MAIN_PATH.slice(0, MAIN_PATH.indexOf(state) + 1);
const view = (steps: ReturnType<typeof lifecycleSteps>) => steps.map((s) => `${s.state}:${s.status}${s.branch ? '*' : ''}`);

describe('the lifecycle stepper', () => {
  test('on the main path: done before, current, to come after; every other state named below', () => {
    const steps = lifecycleSteps('QC_PENDING', chain(...upTo('QC_PENDING')));
    expect(view(steps).slice(3, 6)).toEqual(['IN_PREPARATION:done', 'QC_PENDING:current', 'QC_PASSED:next']);
    expect(steps).toHaveLength(12);
    expect(otherStates(steps)).toEqual(['QC_FAILED', 'ANALYSIS_FAILED', 'RESAMPLE_REQUESTED', 'CANCELLED']);
    expect(steps.length + otherStates(steps).length).toBe(STATES.length);
  });

  test('a failed QC shows as a branch after QC pending; the rest of the path is out of reach', () => {
    const steps = view(lifecycleSteps('QC_FAILED', chain(...upTo('QC_PENDING'), 'QC_FAILED')));
    expect(steps.slice(4, 7)).toEqual(['QC_PENDING:done', 'QC_FAILED:current*', 'QC_PASSED:off']);
    expect(steps.at(-1)).toBe('DELIVERED:off');
  });

  test('a resample after a failed QC ends the path after the branch', () => {
    const steps = view(lifecycleSteps('RESAMPLE_REQUESTED', chain(...upTo('QC_PENDING'), 'QC_FAILED', 'RESAMPLE_REQUESTED')));
    expect(steps.slice(4, 8)).toEqual(['QC_PENDING:done', 'QC_FAILED:done*', 'RESAMPLE_REQUESTED:current*', 'QC_PASSED:off']);
  });

  test('a failed analysis can be retried: the steps after it are still to come', () => {
    const steps = view(lifecycleSteps('ANALYSIS_FAILED', chain(...upTo('IN_ANALYSIS'), 'ANALYSIS_FAILED')));
    expect(steps.slice(7, 10)).toEqual(['IN_ANALYSIS:done', 'ANALYSIS_FAILED:current*', 'IN_REVIEW:next']);
  });

  test('a retried analysis stays in view as a branch passed through', () => {
    const steps = view(lifecycleSteps('IN_REVIEW', chain(...upTo('IN_ANALYSIS'), 'ANALYSIS_FAILED', 'IN_ANALYSIS', 'IN_REVIEW')));
    expect(steps.slice(7, 10)).toEqual(['IN_ANALYSIS:done', 'ANALYSIS_FAILED:done*', 'IN_REVIEW:current']);
  });

  test('cancelled shows where the specimen was when it was cancelled', () => {
    const steps = view(lifecycleSteps('CANCELLED', chain(...upTo('RECEIVED'), 'CANCELLED')));
    expect(steps.slice(1, 5)).toEqual(['BARCODED:done', 'RECEIVED:done', 'CANCELLED:current*', 'IN_PREPARATION:off']);
  });

  test('sent back from review to experiment, the steps after it are to come again', () => {
    const steps = view(lifecycleSteps('IN_EXPERIMENT', chain(...upTo('IN_REVIEW'), 'IN_EXPERIMENT')));
    expect(steps.slice(6, 9)).toEqual(['IN_EXPERIMENT:current', 'IN_ANALYSIS:next', 'IN_REVIEW:next']);
  });
});

describe('the time left of an analysis run', () => {
  const deadline = '2026-12-02T20:00:00Z';
  const at = (iso: string) => Date.parse(iso);
  test('in hours and minutes, then minutes and seconds, then seconds', () => {
    expect(timeLeft(deadline, at('2026-12-02T08:00:30Z'))?.text).toBe('11 h 59 min left');
    expect(timeLeft(deadline, at('2026-12-02T19:58:50Z'))?.text).toBe('1 min 10 s left');
    expect(timeLeft(deadline, at('2026-12-02T19:59:51Z'))?.text).toBe('9 s left');
  });
  test('past the deadline the time is up; no deadline counts nothing', () => {
    expect(timeLeft(deadline, at('2026-12-02T20:00:00Z'))).toEqual({ text: 'time is up', overdue: true });
    expect(timeLeft(null, 0)).toBeNull();
  });
});

describe('the list query', () => {
  test('filters become the API parameters; received days are whole days of the user, the last included', () => {
    const url = new URL(specimensQuery({ state: 'RECEIVED', client: ' clinic-9 ', receivedFrom: '2026-12-01', receivedTo: '2026-12-02' }), 'http://x');
    expect(url.pathname).toBe('/api/v1/specimens');
    expect(url.searchParams.get('state')).toBe('RECEIVED');
    expect(url.searchParams.get('client_ref')).toBe('clinic-9');
    expect(url.searchParams.get('received_from')).toBe(new Date(2026, 11, 1).toISOString());
    expect(url.searchParams.get('received_before')).toBe(new Date(2026, 11, 3).toISOString());
  });
  test('no filter: only the page size', () => {
    expect(specimensQuery({ state: '', client: '', receivedFrom: '', receivedTo: '' })).toBe('/api/v1/specimens?limit=25');
  });
  test('a new registration is added only to a list whose filters admit it', () => {
    const row = { id: 'SP-2026-000009', barcode: 'b', client_ref: 'clinic-9', type: 'serum', state: 'REGISTERED', priority: 'normal', plate: null, well: null, replaces: null, received_at: null };
    const none = { state: '', client: '', receivedFrom: '', receivedTo: '' };
    expect(newlyRegisteredMatches(none, row)).toBe(true);
    expect(newlyRegisteredMatches({ ...none, client: 'clinic' }, row)).toBe(true);
    expect(newlyRegisteredMatches({ ...none, client: 'ward' }, row)).toBe(false);
    expect(newlyRegisteredMatches({ ...none, state: 'RECEIVED' }, row)).toBe(false);
    expect(newlyRegisteredMatches({ ...none, receivedFrom: '2026-12-01' }, row)).toBe(false);
  });
});

test('what a scanner typed: an id opens as it is, anything else is a barcode', () => {
  expect(scanned(' SP2026000123K\n')).toEqual({ barcode: 'SP2026000123K' });
  expect(scanned('sp-2026-000123')).toEqual({ id: 'SP-2026-000123' });
  expect(scanned('   ')).toBeNull();
});
