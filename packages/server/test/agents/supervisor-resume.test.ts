import { beforeAll, describe, expect, it } from 'vitest';
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
 * are neither run nor announced again.
 */
describe('supervisor resumed from a checkpoint', () => {
  const text = 'Where is my AI money going?';
  const steps = ['triage', 'data', 'optimization', 'actions', 'reporting'] as const;

  it.each(steps.map((_, i) => i + 1))('after %i completed step(s) gives the same result', async (completed) => {
    const supervisor = createSupervisor({ usage, prices, llm: null, now });
    const first = collectingContext({ text });
    const expected = await supervisor.run(first.ctx);
    const restored = Object.fromEntries(steps.slice(0, completed).map((agent) => [agent, first.saved[agent]]));
    expect(Object.keys(restored)).toHaveLength(completed);

    const second = collectingContext({ text, restored });
    const result = await supervisor.run(second.ctx);
    expect(result).toEqual(expected);
    expect(agentsStarted(second.events)).toEqual(['supervisor', ...steps.slice(completed)]);
  });
});
