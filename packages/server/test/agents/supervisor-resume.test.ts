import { beforeAll, describe, expect, it } from 'vitest';
import type { RunEventDraft } from '@tally/protocol';
import { createSupervisor } from '../../src/agents/supervisor.js';
import type { UsageStore } from '../../src/usage/usage-store.js';
import { fixedPriceCatalog } from '../analysis/fixtures.js';
import { createMemoryUsageStore } from '../support/memory-usage-store.js';
import { agentsStarted, collectingContext, seedTeamUsage } from './supervisor-fixtures.js';

const prices = fixedPriceCatalog();
const now = () => new Date('2025-03-11T00:00:00Z');
let usage: UsageStore;

beforeAll(async () => {
  usage = createMemoryUsageStore();
  await seedTeamUsage(usage, prices, 'user-1');
});

/**
 * A run taken over by another node restores its completed steps from the checkpoint (through
 * JSON, as the worker stores them) and goes on: same answer, same report, and the restored steps
 * are neither run nor announced again. The steps computed in code from earlier ones (optimization,
 * actions) are not checkpointed: the new node computes them again, to the same values and the same
 * events, whatever its clock says.
 */
describe('supervisor resumed from a checkpoint', () => {
  // The second asks about a span that ends now: its analysis depends on when "now" is.
  const questions = ['Where is my AI money going?', 'Where did my AI money go over the last 7 days?'];
  const steps = ['triage', 'data', 'optimization', 'actions', 'reporting'] as const;
  const derived = new Set<string>(['optimization', 'actions']);
  /** An event as a re-run must repeat it: its timing aside. */
  const content = (e: RunEventDraft) => JSON.stringify({ ...e, data: { ...e.data, durationMs: undefined } });
  const eventsOf = (events: RunEventDraft[], agent: string) => {
    const from = events.findIndex((e) => e.type === 'agent_started' && e.data.agent === agent);
    const to = events.findIndex((e) => e.type === 'agent_completed' && e.data.agent === agent);
    return events.slice(from, to + 1).map(content);
  };

  it('checkpoints the steps that read or ask, not the ones computed from them', async () => {
    const first = collectingContext({ text: questions[0]! });
    await createSupervisor({ usage, prices, llm: null, now }).run(first.ctx);
    expect(Object.keys(first.saved).sort()).toEqual(['data', 'reporting', 'triage']);
  });

  it.each(questions.flatMap((text) => steps.map((_, i) => [text, i + 1] as const)))('"%s" after %i completed step(s) gives the same result, a day later once the data is restored', async (text, completed) => {
    const first = collectingContext({ text });
    const expected = await createSupervisor({ usage, prices, llm: null, now }).run(first.ctx);
    const restored = Object.fromEntries(steps.slice(0, completed).filter((agent) => !derived.has(agent)).map((agent) => [agent, first.saved[agent]]));

    const second = collectingContext({ text, restored });
    // Once the data is restored, the analysis is as of its reading: the new node's clock does not
    // move it. (Before, the data is read again, as of then.)
    const later = 'data' in restored ? () => new Date(now().getTime() + 86_400_000) : now;
    const result = await createSupervisor({ usage, prices, llm: null, now: later }).run(second.ctx);
    expect(result).toEqual(expected);
    const rerun = steps.filter((agent) => !(agent in restored));
    expect(agentsStarted(second.events)).toEqual(['supervisor', ...rerun]);
    // What a resumed run sends again is what the resume filter drops as already sent: the same events.
    for (const agent of rerun.filter((a) => derived.has(a))) expect(eventsOf(second.events, agent)).toEqual(eventsOf(first.events, agent));
  });
});
