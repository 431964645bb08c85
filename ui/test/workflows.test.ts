import { describe, expect, test } from 'vitest';
import { actionsFor, applyChange, changedSince, fromCreated, nextStep, parseParameters, progress, Workflow } from '../src/screens/WorkflowsModel';

const base: Workflow = {
  id: 'WF-0123456789ab',
  name: 'Absorbance run',
  status: 'running',
  device_id: 'reader-1',
  priority: 'normal',
  samples: [{ barcode: 'SP20260000010', specimen_id: 'SP-2026-000001' }],
  steps: [
    { index: 0, operation: 'read_absorbance', status: 'succeeded' },
    { index: 1, operation: 'read_absorbance', status: 'pending' },
    { index: 2, operation: 'read_fluorescence', status: 'pending' },
  ],
  created_by: 'tess',
};

const change = (type: string, fields: Record<string, unknown> = {}) => ({ type, entity: 'workflow', id: base.id, ...fields });

describe('live changes move a workflow on', () => {
  test('a step starts, runs and ends; applying a change twice changes nothing more', () => {
    const started = applyChange(base, change('workflow.step_started', { step: 1, step_status: 'running', operation: 'read_absorbance' }));
    expect(started.steps[1].status).toBe('running');
    expect(nextStep(started)).toBeUndefined();
    expect(actionsFor(started).step).toBe(false);
    const ended = applyChange(started, change('workflow.step_ended', { step: 1, step_status: 'succeeded', execution_id: 'reader-1.2', finished_at: '2026-11-23T08:00:00Z' }));
    expect(ended.steps[1]).toMatchObject({ status: 'succeeded', execution_id: 'reader-1.2' });
    expect(applyChange(ended, change('workflow.step_ended', { step: 1, step_status: 'succeeded', execution_id: 'reader-1.2', finished_at: '2026-11-23T08:00:00Z' }))).toEqual(ended);
    expect(progress(ended)).toEqual({ ended: 2, total: 3, failed: 0 });
    expect(nextStep(ended)?.index).toBe(2);
  });

  test('a released step is pending again and runs nothing', () => {
    const running = applyChange(base, change('workflow.step_executing', { step: 1, step_status: 'running', execution_id: 'reader-1.9' }));
    const released = applyChange(running, change('workflow.step_released', { step: 1, step_status: 'pending' }));
    expect(released.steps[1]).toMatchObject({ status: 'pending', execution_id: null });
  });

  test('a step index the workflow does not have is ignored', () => {
    expect(applyChange(base, change('workflow.step_started', { step: 7, step_status: 'running' }))).toBe(base);
  });

  test('status changes keep what they do not mention', () => {
    const done = applyChange(base, change('workflow.completed', { status: 'completed', finished_at: '2026-11-23T09:00:00Z' }));
    expect(done).toMatchObject({ status: 'completed', finished_at: '2026-11-23T09:00:00Z', priority: 'normal', name: 'Absorbance run' });
    expect(actionsFor(done)).toEqual({ start: false, step: false, complete: false, cancel: false });
  });

  test('a created change makes a list row with its counts', () => {
    const row = fromCreated(change('workflow.created', { name: 'n', status: 'created', device_id: 'd', priority: 'urgent', samples: 2, steps: 3, created_by: 'sam', at: '2026-11-23T08:00:00Z' }));
    expect(row.samples).toHaveLength(2);
    expect(progress(row)).toEqual({ ended: 0, total: 3, failed: 0 });
    expect(actionsFor(row)).toMatchObject({ start: true, cancel: true, step: false });
  });
});

describe('what the user may ask for', () => {
  test('complete only once every step ended, failed ones too', () => {
    expect(actionsFor(base).complete).toBe(false);
    const all = { ...base, steps: base.steps.map((s, i) => ({ ...s, status: i === 2 ? ('failed' as const) : ('succeeded' as const) })) };
    expect(actionsFor(all)).toMatchObject({ complete: true, step: false, cancel: true });
  });
});

describe('a stale page is told what changed', () => {
  test('another status, or another step claimed', () => {
    expect(changedSince(base, base)).toBeNull();
    expect(changedSince(base, { ...base, status: 'cancelled' })).toContain('now cancelled');
    const moved = applyChange(base, change('workflow.step_started', { step: 1, step_status: 'running' }));
    expect(changedSince(base, moved)).toContain('another step');
  });
});

describe('step parameters as a user types them', () => {
  test('name=value pairs, numbers and booleans read as such', () => {
    expect(parseParameters('wavelength_nm=450, simulate_failure=true, plate=A')).toEqual({ value: { wavelength_nm: 450, simulate_failure: true, plate: 'A' } });
  });
  test('a JSON object', () => {
    expect(parseParameters('{"minutes": 30}')).toEqual({ value: { minutes: 30 } });
  });
  test('nothing is no parameters', () => {
    expect(parseParameters('  ')).toEqual({ value: undefined });
  });
  test('anything else is explained', () => {
    expect(parseParameters('450')).toHaveProperty('error');
    expect(parseParameters('[1]')).toHaveProperty('error');
    expect(parseParameters('{oops')).toHaveProperty('error');
  });
});
