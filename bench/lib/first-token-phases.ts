import { createLatencyHistogram, type LatencyHistogram } from './histogram.js';
import type { RunWatch } from './ws-client.js';

/**
 * Where a run's time before its first delta went, from its events' server times (one clock with
 * the client's: one machine): each phase is the span between two milestones a RunWatch keeps.
 * A phase whose milestones a run did not emit (a short reply has no data step) is not recorded.
 */
const PHASES: ReadonlyArray<readonly [name: string, from: string, to: string]> = [
  // send_message to the pipeline's first event: the run's insert, the queue and the claim.
  ['queued and claimed', 'sent', 'agent_started:supervisor'],
  ['triage: usage overview', 'tool_executing:triage', 'tool_completed:triage'],
  // From the overview to the classification's thinking line: the LLM object call (or the rules).
  ['triage: classification', 'tool_completed:triage', 'agent_thinking:triage'],
  ['triage, whole step', 'agent_started:triage', 'agent_completed:triage'],
  ['data: usage reads', 'agent_started:data', 'agent_completed:data'],
  ['analysis and plan', 'agent_started:optimization', 'agent_completed:actions'],
  ['answer: request to first delta', 'agent_started:reporting', 'first_delta'],
  ['first delta to the client', 'first_delta', 'received'],
];

export type FirstTokenPhases = Map<string, LatencyHistogram>;

export function emptyPhases(): FirstTokenPhases {
  return new Map(PHASES.map(([name]) => [name, createLatencyHistogram()]));
}

/** Records one run's phases; `sentAt` is when its send_message left the client (wall ms). */
export function recordPhases(phases: FirstTokenPhases, watch: RunWatch, sentAt: number): void {
  if (watch.firstDeltaAt === undefined) return;
  const at = (key: string) => (key === 'sent' ? sentAt : key === 'received' ? watch.firstDeltaAt : watch.milestones.get(key));
  for (const [name, from, to] of PHASES) {
    const a = at(from);
    const b = at(to);
    if (a !== undefined && b !== undefined) phases.get(name)!.recordMs(b - a);
  }
}

export function addPhases(into: FirstTokenPhases, other: FirstTokenPhases): void {
  for (const [name, h] of other) into.get(name)?.add(h);
}

/** "phase p50/p99 ms" for each phase some run went through. */
export function phasesText(phases: FirstTokenPhases): string {
  return [...phases]
    .filter(([, h]) => h.summary().count > 0)
    .map(([name, h]) => {
      const s = h.summary();
      return `${name} ${s.p50.toFixed(1)}/${s.p99.toFixed(0)}`;
    })
    .join(', ');
}
