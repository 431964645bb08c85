import { describe, expect, test } from 'vitest';
import type { Change } from '../src/events';
import {
  applyDeviceChange,
  benchHolder,
  Device,
  finishedExecution,
  rangeQuery,
  registeredDevice,
  startedExecution,
  startedWithin,
  startInWords,
  waitInWords,
} from '../src/screens/DevicesModel';

const reader: Device = {
  id: 'plate-reader-1',
  name: 'Plate reader 1',
  type: 'plate_reader',
  status: 'available',
  capabilities: [],
  current_booking: null,
  queue_length: 0,
};

const change = (type: string, fields: Record<string, unknown> = {}): Change => ({ type, entity: 'device', id: reader.id, ...fields });

describe('a live device change on the board', () => {
  test('a booking makes an available device busy with its holder', () => {
    const booked = applyDeviceChange(reader, change('device.booked', { holder_workflow_id: 'tess-0900', booked_at: '2026-01-05T09:00:00Z', queue_length_change: 0 }));
    expect(booked.status).toBe('busy');
    expect(booked.current_booking?.workflow_id).toBe('tess-0900');
    expect(booked.current_booking?.booked_at).toBe('2026-01-05T09:00:00Z');
  });

  test('applying the same change twice gives the same device (a change the list already holds may arrive again)', () => {
    const c = change('device.booked', { holder_workflow_id: 'tess-0900', booked_at: '2026-01-05T09:00:00Z', queue_length_change: -1 });
    const once = applyDeviceChange({ ...reader, queue_length: 1 }, c);
    expect(applyDeviceChange(once, c)).toEqual(once);
    expect(once.queue_length).toBe(1); // differences are not counted: the page reads the device again
  });

  test('a release frees a busy device, and a grant to the next in line follows as a booking', () => {
    const busy = applyDeviceChange(reader, change('device.booked', { holder_workflow_id: 'a', booked_at: '2026-01-05T09:00:00Z' }));
    const released = applyDeviceChange(busy, change('device.released', { workflow_id: 'a', holder_workflow_id: null, booked_at: null }));
    expect(released.status).toBe('available');
    expect(released.current_booking).toBeNull();
    const granted = applyDeviceChange(released, change('device.booked', { holder_workflow_id: 'b', booked_at: '2026-01-05T09:05:00Z', from_queue: true }));
    expect(granted.status).toBe('busy');
    expect(granted.current_booking?.workflow_id).toBe('b');
  });

  test('maintenance shows over a booking, and back to available the held device is busy again', () => {
    const busy = applyDeviceChange(reader, change('device.booked', { holder_workflow_id: 'a', booked_at: '2026-01-05T09:00:00Z' }));
    const maintenance = applyDeviceChange(busy, change('device.status_changed', { status: 'maintenance' }));
    expect(maintenance.status).toBe('maintenance');
    expect(maintenance.current_booking?.workflow_id).toBe('a');
    expect(applyDeviceChange(maintenance, change('device.status_changed', { status: 'available' })).status).toBe('busy');
    expect(applyDeviceChange(reader, change('device.status_changed', { status: 'offline' })).status).toBe('offline');
  });

  test('a released device in maintenance stays in maintenance', () => {
    const held = { ...reader, status: 'maintenance' as const, current_booking: { device_id: reader.id, workflow_id: 'a', status: 'busy' as const, booked_at: 'x' } };
    expect(applyDeviceChange(held, change('device.released', { workflow_id: 'a' })).status).toBe('maintenance');
  });

  test('a registered device starts available with an empty queue', () => {
    const d = registeredDevice({ type: 'device.registered', entity: 'device', id: 'incubator-9', name: 'Incubator 9', device_type: 'incubator', capabilities: ['co2'] });
    expect(d).toMatchObject({ id: 'incubator-9', name: 'Incubator 9', type: 'incubator', status: 'available', queue_length: 0, current_booking: null, capabilities: ['co2'] });
  });
});

describe('waits in words', () => {
  test('rounded to the minute, hours past an hour', () => {
    expect(waitInWords(10)).toBe('now');
    expect(waitInWords(45)).toBe('about 1 min');
    expect(waitInWords(600)).toBe('about 10 min');
    expect(waitInWords(3600)).toBe('about 1 h');
    expect(waitInWords(3900)).toBe('about 1 h 5 min');
  });

  test('an estimated start that has passed is any moment', () => {
    const now = Date.parse('2026-01-05T09:00:00Z');
    expect(startInWords('2026-01-05T09:12:00Z', now)).toBe('in about 12 min');
    expect(startInWords('2026-01-05T08:00:00Z', now)).toBe('any moment');
  });
});

describe('a holder for work at the bench', () => {
  test("the user's name and the time, within the API's rule for holder ids", () => {
    const at = new Date(2026, 0, 5, 9, 7);
    expect(benchHolder('sam', at)).toBe('sam-0907');
    const long = benchHolder('x'.repeat(64), at);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
  });
});

describe('the execution-log range', () => {
  test('the wall-clock inputs go to the API as UTC instants; empty ends stay open', () => {
    const from = '2026-01-05T08:00';
    const q = new URLSearchParams(rangeQuery('plate-reader-1', from, ''));
    expect(q.get('device_id')).toBe('plate-reader-1');
    expect(q.get('start')).toBe(new Date(from).toISOString());
    expect(q.has('end')).toBe(false);
  });

  test('a live operation is shown only when it started in the range', () => {
    const at = new Date(2026, 0, 5, 9, 0).toISOString();
    expect(startedWithin(at, '2026-01-05T08:00', '')).toBe(true);
    expect(startedWithin(at, '2026-01-05T08:00', '2026-01-05T09:00')).toBe(false); // the end is exclusive
    expect(startedWithin(at, '2026-01-05T09:30', '')).toBe(false);
  });

  test('a started operation becomes a running row; its end gives status and duration', () => {
    const started = startedExecution({ type: 'execution.started', entity: 'execution', id: 'plate-reader-1.3', device_id: 'plate-reader-1', workflow_id: 'sam-0907', operation: 'read_absorbance', status: 'running', started_at: '2026-01-05T09:00:00Z' });
    expect(started).toMatchObject({ status: 'running', operation: 'read_absorbance', duration_ms: null });
    const done = finishedExecution(started, { type: 'execution.finished', entity: 'execution', id: 'plate-reader-1.3', status: 'succeeded', finished_at: '2026-01-05T09:00:01.500Z' });
    expect(done).toMatchObject({ status: 'succeeded', finished_at: '2026-01-05T09:00:01.500Z', duration_ms: 1500 });
  });
});
