import { expect } from 'vitest';
import { AGENT_NAMES, RunEventSchema, isTerminalEvent, type RunEvent } from '@tally/protocol';

/**
 * What every complete run must look like to a client: valid frames, seq 1..n with no gap or
 * duplicate, run_queued first, the supervisor framing the agents, one terminal event, last.
 */
export function expectCompleteRun(events: RunEvent[], expected: { runId: string; threadId: string; terminal?: RunEvent['type'] }): void {
  expect(events.length).toBeGreaterThan(3);
  events.forEach((event, i) => {
    RunEventSchema.parse(event);
    expect(event.seq, `seq at index ${i}`).toBe(i + 1);
    expect(event.runId).toBe(expected.runId);
    expect(event.threadId).toBe(expected.threadId);
  });
  expect(events[0]!.type).toBe('run_queued');
  const terminals = events.filter((e) => isTerminalEvent(e.type));
  expect(terminals).toHaveLength(1);
  expect(events.at(-1)!.type).toBe(expected.terminal ?? 'run_completed');
  if ((expected.terminal ?? 'run_completed') === 'run_completed') {
    expect(events[1]).toMatchObject({ type: 'agent_started', data: { agent: 'supervisor' } });
    expect(events.at(-2)).toMatchObject({ type: 'agent_completed', data: { agent: 'supervisor' } });
    expectAgentsBalanced(events);
  }
}

/** Each agent's events sit between its agent_started and agent_completed, one agent at a time. */
export function expectAgentsBalanced(events: RunEvent[]): void {
  let current: string | null = null;
  for (const event of events) {
    if (event.type === 'agent_started' && event.data.agent !== 'supervisor') {
      expect(current, `agent ${event.data.agent} started inside ${current}`).toBeNull();
      current = event.data.agent;
    } else if (event.type === 'agent_completed' && event.data.agent !== 'supervisor') {
      expect(event.data.agent).toBe(current);
      current = null;
    } else if ('agent' in event.data && event.data.agent !== 'supervisor' && current !== null) {
      expect(event.data.agent).toBe(current);
    }
  }
  expect(current).toBeNull();
  for (const event of events) if ('agent' in event.data) expect(AGENT_NAMES).toContain(event.data.agent);
}

/** The answer text as streamed: the message_delta texts, joined. */
export function streamedText(events: RunEvent[]): string {
  return events.flatMap((e) => (e.type === 'message_delta' ? [e.data.text] : [])).join('');
}
