// The lab's live changes (GET /api/v1/events, docs/api.md "Live events") for every screen:
// one stream per signed-in page, read with fetch() because EventSource cannot send the
// Authorization header. It resumes from the last id it saw after any drop (network, node
// restart, slow_client, token_expired), so a screen misses no change and sees none twice;
// on "reload" (or a resume the node cannot serve) screens read their lists again.
// Telemetry frames (an instrument's readings) ride the same stream but are live only: they
// have no id, are never resumed, and a chart reads its history again when the stream reopens.

import { signal } from '@preact/signals';
import { openEventStream } from './api';
import { SseParser } from './sse';

/** One change: {type, entity, id, ...fields} as the node renders it. */
export interface Change {
  type: string;
  entity: string;
  id: string;
  [field: string]: unknown;
}

/** Readings of one channel of one device, as a `telemetry` frame brings them (no id: telemetry is live only, never resumed). */
export interface Telemetry {
  type: 'telemetry';
  device_id: string;
  channel: string;
  unit: string;
  readings: { at: string; value: number; quality?: string }[];
}

type ChangeListener = (change: Change) => void;
type ReloadListener = (nothing?: undefined) => void;
type TelemetryListener = (telemetry: Telemetry) => void;

const changeListeners = new Set<ChangeListener>();
const reloadListeners = new Set<ReloadListener>();
const telemetryListeners = new Set<TelemetryListener>();
const openListeners = new Set<ReloadListener>();

/** Whether the stream is connected: the header shows it, so a user knows the page is live. */
export const live = signal(false);

/** Calls back with every change of that kind of entity ("device", "specimen", "lab_test", ...) until the returned function is called. */
export function onChange(entity: string | string[], listener: ChangeListener): () => void {
  const kinds = Array.isArray(entity) ? entity : [entity];
  const wrapped: ChangeListener = (c) => kinds.includes(c.entity) && listener(c);
  changeListeners.add(wrapped);
  return () => changeListeners.delete(wrapped);
}

/** Calls back when lists must be read again (the stream could not say what was missed). */
export function onReload(listener: ReloadListener): () => void {
  reloadListeners.add(listener);
  return () => reloadListeners.delete(listener);
}

/** Calls back with every telemetry frame (the caller picks its device and channel) until the returned function is called. */
export function onTelemetry(listener: TelemetryListener): () => void {
  telemetryListeners.add(listener);
  return () => telemetryListeners.delete(listener);
}

/**
 * Calls back each time the stream opens, a resume included: telemetry frames are not resumed,
 * so a live chart reads its history again to fill what it missed while the stream was down.
 */
export function onStreamOpen(listener: ReloadListener): () => void {
  openListeners.add(listener);
  return () => openListeners.delete(listener);
}

/** The reconnection delay after the n-th failure in a row: 1, 2, 4 … up to 30 s, with jitter so clients of a restarted node spread out. */
export function backoff(failures: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.75 + random() * 0.5));
}

/** What one event means to the stream: the id to resume from, and what to tell screens. */
export function interpret(event: { event: string; data: string; id?: string }): {
  id?: string;
  change?: Change;
  reload?: boolean;
  closing?: string;
  telemetry?: Telemetry;
} {
  const body = event.data ? JSON.parse(event.data) : {};
  switch (event.event) {
    case 'change':
      return { id: event.id, change: body as Change };
    case 'reload':
      return { id: event.id, reload: true };
    case 'open':
      return { id: event.id };
    case 'closing':
      return { closing: String(body.reason ?? 'closing') };
    case 'telemetry':
      // No id: resuming is by the journal's ordering, which readings are not part of.
      return Array.isArray(body.readings) ? { telemetry: body as Telemetry } : {};
    default:
      return {};
  }
}

let running: AbortController | null = null;

/** Starts following the stream (once per sign-in); stop() ends it at sign-out. */
export function start(): void {
  if (running) return;
  const control = new AbortController();
  running = control;
  void follow(control.signal);
}

export function stop(): void {
  running?.abort();
  running = null;
  live.value = false;
}

/** Without a byte for this long (heartbeats come every 15 s) the connection is taken for dead: a laptop that slept, a Wi-Fi switch. */
export const SILENCE_LIMIT_MS = 45_000;

/** A stream that ends sooner than this after opening counts as a failure, so a node that accepts and drops at once is not hammered. */
const SHORT_LIVED_MS = 5_000;

function tell<T>(listeners: Set<(arg: T) => void>, arg: T): void {
  // One screen's failing listener must not cost the others the change (it is not sent again).
  listeners.forEach((listener) => {
    try {
      listener(arg);
    } catch (failure) {
      console.error('a live-change listener failed', failure);
    }
  });
}

async function follow(signal: AbortSignal): Promise<void> {
  let lastId: string | undefined;
  let failures = 0;
  while (!signal.aborted) {
    const connection = new AbortController();
    let reader: ReadableStreamDefaultReader<string> | undefined;
    const abort = () => {
      connection.abort();
      void reader?.cancel().catch(() => undefined); // ends a read still waiting on a dead connection
    };
    signal.addEventListener('abort', abort);
    let silence: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      clearTimeout(silence);
      silence = setTimeout(abort, SILENCE_LIMIT_MS);
    };
    const opened = Date.now();
    const resuming = lastId !== undefined; // the node then sends what was missed, from the journal
    try {
      watch();
      const response = await openEventStream(lastId, connection.signal);
      if (!response.ok || !response.body) throw new Error(`event stream answered ${response.status}`);
      live.value = true;
      const parser = new SseParser();
      reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        watch();
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) {
          const meaning = interpret(event);
          if (meaning.id) lastId = meaning.id;
          if (meaning.change) tell(changeListeners, meaning.change);
          if (meaning.telemetry) tell(telemetryListeners, meaning.telemetry);
          if (event.event === 'open') tell(openListeners, undefined);
          // "open" too: screens read their lists before the stream was there, and a change
          // made between that read and this open is in neither; reading again closes the gap.
          if (meaning.reload || (event.event === 'open' && !resuming)) tell(reloadListeners, undefined);
        }
      }
      failures = Date.now() - opened < SHORT_LIVED_MS ? failures + 1 : 0;
    } catch {
      failures++;
    } finally {
      clearTimeout(silence);
      signal.removeEventListener('abort', abort);
    }
    live.value = false;
    if (signal.aborted) return;
    await new Promise((resume) => setTimeout(resume, failures === 0 ? 250 : backoff(failures)));
  }
}
