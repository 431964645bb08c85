import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { SseParser } from '../src/sse';

// The stream opens through api.openEventStream; here it is a scripted series of responses.
const opened: (string | undefined)[] = [];
let script: (() => Response)[] = [];
vi.mock('../src/api', () => ({
  openEventStream: async (lastId: string | undefined) => {
    opened.push(lastId);
    const next = script.shift();
    if (!next) return new Promise<Response>(() => {}); // the last connection stays open
    return next();
  },
}));

const events = await import('../src/events');

/** A response whose body is these chunks, then ends (the connection drops). */
function body(...chunks: string[]): Response {
  const encoder = new TextEncoder();
  return new Response(
    new ReadableStream({
      start(controller) {
        chunks.forEach((c) => controller.enqueue(encoder.encode(c)));
        controller.close();
      },
    }),
    { status: 200, headers: { 'Content-Type': 'text/event-stream' } },
  );
}

const change = (id: number, entity: string, entityId: string) =>
  `id: ${id}\nevent: change\ndata: ${JSON.stringify({ type: `${entity}.changed`, entity, id: entityId })}\n\n`;

describe('SSE framing', () => {
  test('events split across chunks come out whole, heartbeats and retry give nothing', () => {
    const parser = new SseParser();
    expect(parser.push('retry: 2000\n\n: heartbeat\n\nid: 7\nevent: chan')).toEqual([]);
    expect(parser.push('ge\ndata: {"a":1}\r\n\r\nid: 8\n')).toEqual([{ event: 'change', data: '{"a":1}', id: '7' }]);
    expect(parser.push('event: open\ndata: {}\n\n')).toEqual([{ event: 'open', data: '{}', id: '8' }]);
  });

  test('several data lines are joined by newlines', () => {
    expect(new SseParser().push('data: a\ndata: b\n\n')).toEqual([{ event: 'message', data: 'a\nb', id: undefined }]);
  });
});

describe('the live stream', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    opened.length = 0;
  });
  afterEach(() => {
    events.stop();
    vi.useRealTimers();
  });

  test('after a drop it reconnects with the last id it saw, and every change reaches its screen once', async () => {
    const seen: string[] = [];
    const off = events.onChange('device', (c) => seen.push(c.id));
    script = [
      () => body('retry: 2000\n\n', 'id: 10\nevent: open\ndata: {"type":"open"}\n\n', change(11, 'device', 'DEV-1'), change(12, 'specimen', 'SP-1')),
      () => body('id: 12\nevent: open\ndata: {"type":"open"}\n\n', change(13, 'device', 'DEV-2'), 'event: closing\ndata: {"type":"closing","reason":"slow_client"}\n\n'),
    ];
    let reloads = 0;
    const offReload = events.onReload(() => reloads++);
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    events.start();
    await vi.waitFor(() => expect(opened.length).toBe(1));
    // Each stream here ends at once: taken as a failure, so the next try waits 1 s, then 2 s.
    await vi.advanceTimersByTimeAsync(1100);
    await vi.waitFor(() => expect(opened.length).toBe(2));
    await vi.advanceTimersByTimeAsync(2100);
    await vi.waitFor(() => expect(opened.length).toBe(3));
    expect(opened).toEqual([undefined, '12', '13']);
    expect(seen).toEqual(['DEV-1', 'DEV-2']);
    // The first open tells screens to read their lists (a change between their read and the
    // open is in neither); a resume does not: the node sends what was missed.
    expect(reloads).toBe(1);
    off();
    offReload();
    vi.restoreAllMocks();
  });

  test('a reload event tells screens to read their lists again', async () => {
    let reloads = 0;
    const off = events.onReload(() => reloads++);
    script = [() => body('id: 39\nevent: open\ndata: {"type":"open"}\n\n'),
      () => body('id: 40\nevent: reload\ndata: {"type":"reload","reason":"too_old"}\n\n')];
    events.start();
    await vi.waitFor(() => expect(reloads).toBe(1)); // the first open
    await vi.advanceTimersByTimeAsync(1600);
    await vi.waitFor(() => expect(reloads).toBe(2)); // the reload
    await vi.advanceTimersByTimeAsync(3000);
    await vi.waitFor(() => expect(opened).toEqual([undefined, '39', '40']));
    off();
  });

  test('telemetry frames reach their listeners without moving the resume point, and every open asks charts to read again', async () => {
    const frames: string[] = [];
    let opens = 0;
    const offTelemetry = events.onTelemetry((t) => frames.push(`${t.device_id}/${t.channel}:${t.readings.map((r) => r.value).join(',')}`));
    const offOpen = events.onStreamOpen(() => opens++);
    const telemetry = (value: number) =>
      `event: telemetry\ndata: ${JSON.stringify({ type: 'telemetry', device_id: 'incubator-1', channel: 'temperature', unit: '°C', readings: [{ at: '2026-12-02T10:00:00Z', value, quality: 'good' }] })}\n\n`;
    script = [
      () => body('id: 20\nevent: open\ndata: {"type":"open"}\n\n', telemetry(37.1), change(21, 'device', 'incubator-1'), telemetry(37.2)),
      () => body('id: 21\nevent: open\ndata: {"type":"open"}\n\n', telemetry(37.3)),
    ];
    events.start();
    await vi.waitFor(() => expect(frames.length).toBe(2));
    await vi.advanceTimersByTimeAsync(1600);
    await vi.waitFor(() => expect(frames.length).toBe(3));
    // The frame after the change (no id of its own) does not move the resume point past it.
    expect(opened.slice(0, 2)).toEqual([undefined, '21']);
    expect(frames).toEqual(['incubator-1/temperature:37.1', 'incubator-1/temperature:37.2', 'incubator-1/temperature:37.3']);
    expect(opens).toBe(2); // telemetry is not resumed: the reopened stream asks charts to fill the gap
    offTelemetry();
    offOpen();
  });

  test('a connection silent for longer than heartbeats allow is dropped and opened again from the last id', async () => {
    script = [
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode('id: 7\nevent: open\ndata: {"type":"open"}\n\n'));
              // then nothing, never closed: a connection that died without a word
            },
          }),
          { status: 200 },
        ),
    ];
    events.start();
    await vi.waitFor(() => expect(opened.length).toBe(1));
    await vi.advanceTimersByTimeAsync(events.SILENCE_LIMIT_MS - 1000);
    expect(opened.length).toBe(1);
    await vi.advanceTimersByTimeAsync(2000 + 250);
    await vi.waitFor(() => expect(opened).toEqual([undefined, '7']));
  });

  test('a node that refuses waits longer each time, up to 30 s', async () => {
    expect(events.backoff(1, () => 0.5)).toBe(1000);
    expect(events.backoff(3, () => 0.5)).toBe(4000);
    expect(events.backoff(20, () => 0.5)).toBe(30000);
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter: 1 s, then 2 s
    script = [() => new Response('', { status: 503 }), () => new Response('', { status: 503 })];
    events.start();
    await vi.waitFor(() => expect(opened.length).toBe(1));
    await vi.advanceTimersByTimeAsync(900);
    expect(opened.length).toBe(1); // not yet: a second after the first refusal
    await vi.advanceTimersByTimeAsync(200);
    await vi.waitFor(() => expect(opened.length).toBe(2));
    await vi.advanceTimersByTimeAsync(1800);
    expect(opened.length).toBe(2); // two seconds after the second
    await vi.advanceTimersByTimeAsync(200);
    await vi.waitFor(() => expect(opened.length).toBe(3));
    vi.restoreAllMocks();
  });
});
