import type { RunEvent } from '@tally/protocol';

// The run emitter writes events with JSON.stringify in schema order: v, type, runId, threadId, seq, ...
const HEAD = /^\{"v":\d+,"type":"([a-z_]+)","runId":"[^"]*","threadId":"[^"]*","seq":(\d+)[,}]/;

/**
 * The type and seq of a run event's JSON, read from its first bytes rather than by parsing the
 * whole event: every event passes here once per subscriber. Anything not in the emitter's shape
 * is parsed in full.
 */
export function eventHeadOf(raw: string): Pick<RunEvent, 'seq' | 'type'> {
  const match = HEAD.exec(raw);
  if (match) return { type: match[1] as RunEvent['type'], seq: Number(match[2]) };
  const { type, seq } = JSON.parse(raw) as Pick<RunEvent, 'seq' | 'type'>;
  return { type, seq };
}
