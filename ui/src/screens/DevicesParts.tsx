// Small pieces the board, a device's page and its log share.
import { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';
import { get } from '../api';
import { navigate } from '../router';
import { instant } from '../format';
import type { Device } from './DevicesModel';

/** A link inside the app: the router moves without reloading the page. */
export function To({ path, children, label, class: className }: { path: string; children: ComponentChildren; label?: string; class?: string }) {
  return (
    <a
      href={path}
      class={className}
      aria-label={label}
      onClick={(e) => {
        e.preventDefault();
        navigate(path);
      }}
    >
      {children}
    </a>
  );
}

export const devicePath = (id: string) => `/devices/${encodeURIComponent(id)}`;

/** A device's status as a pill; the word is always shown, the colour only helps. */
export function StatusPill({ status }: { status: string }) {
  return <span class={`status device-${status}`}>{status}</span>;
}

/**
 * Reads one device again from its entity, the newest answer winning: a live change says the
 * device moved, and the entity's own reply is current (and counts its queue, which changes
 * carry only as differences).
 */
export function useDeviceReader(apply: (device: Device) => void) {
  const asked = useRef(new Map<string, number>());
  return async (id: string) => {
    const n = (asked.current.get(id) ?? 0) + 1;
    asked.current.set(id, n);
    try {
      const device = await get<Device>(`/api/v1/devices/${encodeURIComponent(id)}`);
      if (asked.current.get(id) === n) apply(device);
    } catch {
      // The change itself is shown already; the next change or reload reads it again.
    }
  };
}


const WORKFLOW_ID = /^WF-[0-9a-f]{12}$/;

/** Who holds or waits for a device: a workflow's id links to the workflow; a bench run's name is shown as it is. */
export function Holder({ id }: { id: string }) {
  return WORKFLOW_ID.test(id) ? (
    <To path={`/workflows/${id}`}>
      <code>{id}</code>
    </To>
  ) : (
    <code>{id}</code>
  );
}

/** Who holds a device since when, and how many wait for it: the same on its card and its page. */
export function DeviceFacts({ device }: { device: Device }) {
  return (
    <dl class="device-facts">
      <dt>Held by</dt>
      <dd class="holder">
        {device.current_booking ? (
          <>
            <Holder id={device.current_booking.workflow_id} />
            <span class="since">since {instant(device.current_booking.booked_at)}</span>
          </>
        ) : (
          'nobody'
        )}
      </dd>
      <dt>Queue</dt>
      <dd class="queue-length">{device.queue_length === 0 ? 'empty' : `${device.queue_length} waiting`}</dd>
    </dl>
  );
}
