// Server-Sent Events framing (the WHATWG rules the node's /api/v1/events follows), kept apart
// from the network so it can be tested alone: text in, whole events out.

export interface SseEvent {
  /** The event name; "message" when the block names none. */
  event: string;
  data: string;
  /** The block's id, when it has one. */
  id?: string;
}

/** Splits a growing stream of text into events; keeps an unfinished block for the next chunk. */
export class SseParser {
  private buffer = '';

  /** The events completed by this chunk of text. Comment lines (heartbeats) give nothing. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const events: SseEvent[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const parsed = parseBlock(block);
      if (parsed) events.push(parsed);
    }
    return events;
  }
}

function parseBlock(block: string): SseEvent | null {
  let event = 'message';
  const data: string[] = [];
  let id: string | undefined;
  let any = false;
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
    else continue; // retry and unknown fields
    any = true;
  }
  return any ? { event, data: data.join('\n'), id } : null;
}
