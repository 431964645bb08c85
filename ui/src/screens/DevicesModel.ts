// The devices screen's data and the rules it reads it by, kept apart from the views so the
// unit tests can check them: what a live change does to a device, and waits in words.
import type { Change } from '../events';

/** A booking as the API shows it (GET /devices, /devices/{id}). */
export interface Booking {
  device_id: string;
  workflow_id: string;
  status: 'busy';
  booked_at: string;
}

/** A device as GET /api/v1/devices and /devices/{id} answer it. */
export interface Device {
  id: string;
  name: string;
  type: string;
  /** busy = available and booked; maintenance and offline are an admin's. */
  status: 'available' | 'busy' | 'maintenance' | 'offline';
  capabilities: string[];
  current_booking: Booking | null;
  queue_length: number;
}

/** One entry of GET /devices/{id}/queue, in service order. */
export interface QueueEntry {
  workflow_id: string;
  priority: 'urgent' | 'normal' | 'low';
  enqueued_at: string;
  position: number;
  estimated_start: string;
}

/** An execution-log entry (GET /execution-logs/...). */
export interface Execution {
  execution_id: string;
  device_id: string;
  workflow_id: string;
  operation: string;
  parameters?: Record<string, unknown> | null;
  status: 'running' | 'succeeded' | 'failed';
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  result?: unknown;
}

export const PRIORITIES = ['urgent', 'normal', 'low'] as const;
export const OPERATIONAL = ['available', 'maintenance', 'offline'] as const;

export const TYPE_NAMES: Record<string, string> = {
  liquid_handler: 'Liquid handler',
  incubator: 'Incubator',
  plate_reader: 'Plate reader',
};

/**
 * What a live device change says about the device, applied to the row the page holds.
 * Only the fields a change states outright are applied (status, holder): the queue length
 * travels as a difference, which a change already in the loaded row would count twice, so
 * the page reads the device again for it. A device reports busy when it is available and
 * booked (docs/domain.md, Devices), which is why status and holder are read together.
 */
export function applyDeviceChange(device: Device, change: Change): Device {
  switch (change.type) {
    case 'device.status_changed': {
      const operational = String(change.status) as Device['status'];
      return { ...device, status: operational === 'available' && device.current_booking ? 'busy' : operational };
    }
    case 'device.booked':
      return {
        ...device,
        status: device.status === 'available' ? 'busy' : device.status,
        current_booking: {
          device_id: device.id,
          workflow_id: String(change.holder_workflow_id),
          status: 'busy',
          booked_at: String(change.booked_at),
        },
      };
    case 'device.released':
      return { ...device, status: device.status === 'busy' ? 'available' : device.status, current_booking: null };
    default:
      return device;
  }
}

/** A device just registered, from its device.registered change. */
export function registeredDevice(change: Change): Device {
  return {
    id: change.id,
    name: String(change.name ?? change.id),
    type: String(change.device_type ?? ''),
    status: 'available',
    capabilities: Array.isArray(change.capabilities) ? (change.capabilities as string[]) : [],
    current_booking: null,
    queue_length: 0,
  };
}

/** "about 12 min", "about 1 h 5 min", "now": an estimate, so rounded to the minute. */
export function waitInWords(seconds: number): string {
  if (seconds < 30) return 'now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `about ${hours} h ${rest} min` : `about ${hours} h`;
}

/** An estimated start as the queue shows it: "in about 12 min", or "any moment" once it is due. */
export function startInWords(iso: string, now: number = Date.now()): string {
  const wait = waitInWords(secondsUntil(iso, now));
  return wait === 'now' ? 'any moment' : `in ${wait}`;
}

/** Seconds from now until an instant (0 when it has passed). */
export function secondsUntil(iso: string, now: number = Date.now()): number {
  return Math.max(0, Math.round((new Date(iso).getTime() - now) / 1000));
}

/**
 * A holder name for a booking made at the bench, without a workflow: the user's name and the
 * local time ("sam-1402"), within the API's rule for holder ids (1-64 letters, digits, . _ -).
 */
export function benchHolder(username: string, at: Date = new Date()): string {
  const clean = username.replace(/[^A-Za-z0-9._-]/g, '') || 'bench';
  const time = `${String(at.getHours()).padStart(2, '0')}${String(at.getMinutes()).padStart(2, '0')}`;
  return `${clean.slice(0, 58)}-${time}`;
}

/** A datetime-local input's value (the user's wall clock) as the API's UTC instant; undefined when empty. */
export function instantOfLocal(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** An instant as a datetime-local input's value, in the user's zone, to the minute. */
export function localOfInstant(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}`;
}

/** The query string of an execution-log range, for the list and the exports alike. */
export function rangeQuery(deviceId: string, from: string, to: string): string {
  const params = new URLSearchParams({ device_id: deviceId });
  const start = instantOfLocal(from);
  const end = instantOfLocal(to);
  if (start) params.set('start', start);
  if (end) params.set('end', end);
  return params.toString();
}

/** Whether an execution started within a range the page shows ([start, end), either open). */
export function startedWithin(startedAt: string, from: string, to: string): boolean {
  const t = new Date(startedAt).getTime();
  const start = instantOfLocal(from);
  const end = instantOfLocal(to);
  return (!start || t >= new Date(start).getTime()) && (!end || t < new Date(end).getTime());
}

/** A new execution-log row from its execution.started change. */
export function startedExecution(change: Change): Execution {
  return {
    execution_id: change.id,
    device_id: String(change.device_id),
    workflow_id: String(change.workflow_id ?? ''),
    operation: String(change.operation ?? ''),
    status: 'running',
    started_at: String(change.started_at),
    finished_at: null,
    duration_ms: null,
  };
}

/** A held row after its execution.finished change (which names the end, not the duration). */
export function finishedExecution(row: Execution, change: Change): Execution {
  const finishedAt = String(change.finished_at);
  return {
    ...row,
    status: String(change.status) as Execution['status'],
    finished_at: finishedAt,
    duration_ms: row.duration_ms ?? new Date(finishedAt).getTime() - new Date(row.started_at).getTime(),
  };
}
