import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Reconciliation } from '@tally/protocol';
import { classifyRequest } from '../../src/agents/classify-request.js';
import { createSupervisor } from '../../src/agents/supervisor.js';
import { createOpenAiCompatibleClient } from '../../src/llm/openai-compatible-client.js';
import { reconcile } from '../../src/reconciliation/reconcile.js';
import type { TimeRange, UsageStore } from '../../src/usage/usage-store.js';
import { fixedPriceCatalog } from '../analysis/fixtures.js';
import { agentsStarted, collectingContext, ofType, seedTeamUsage, streamed } from '../agents/supervisor-fixtures.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { createMemoryUsageStore } from '../support/memory-usage-store.js';
import { plantedBill, plantedLogs } from './planted-bill.js';

/**
 * "Does our bill match our logs?" answered by the agents from the reconciliation (figures from
 * code, to the cent), offline and with the fake LLM classifying; without a stored bill the answer
 * says a connector is needed and how to add one.
 */
const prices = fixedPriceCatalog();
const now = () => new Date('2026-11-10T00:00:00Z');
let usage: UsageStore;
let fake: FakeLlm | undefined;

beforeAll(async () => {
  usage = createMemoryUsageStore();
  await seedTeamUsage(usage, prices, 'user-1');
});
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** The pure reconciliation over the planted logs and bill, recording what it was asked. */
function plantedSource(withBill: boolean) {
  const asked: Array<{ workspaceId: string; range: TimeRange | undefined }> = [];
  return {
    asked,
    async reconcile(workspaceId: string, range?: TimeRange): Promise<Reconciliation> {
      asked.push({ workspaceId, range });
      return reconcile({ computed: plantedLogs(), billed: withBill ? plantedBill() : [] });
    },
  };
}

async function ask(text: string, supervisor: ReturnType<typeof createSupervisor>) {
  const { ctx, events } = collectingContext({ text });
  const result = await supervisor.run(ctx);
  expect(streamed(events)).toBe(result.answer);
  return { result, events };
}

describe('the reconciliation question', () => {
  it.each(['Does our bill match our logs?', 'reconcile', 'Compare the invoice with what Tally computed', 'billed vs computed for openai'])('"%s" is a reconciliation question', (text) => {
    expect(classifyRequest(text, now()).reconciliation).toBe(true);
  });
  it.each(['Where is my money going?', 'How much did we spend on caching?'])('"%s" is not', (text) => {
    expect(classifyRequest(text, now()).reconciliation).toBe(false);
  });

  it('offline: the data step calls reconcile_billing for the run\'s workspace; the answer gives every planted figure', async () => {
    const source = plantedSource(true);
    const { result, events } = await ask('Does our bill match our logs?', createSupervisor({ usage, prices, llm: null, now, reconciliation: source }));
    expect(agentsStarted(events)).toEqual(['supervisor', 'triage', 'data', 'reporting']);
    expect(ofType(events, 'tool_executing').map((t) => t.tool)).toEqual(['usage_overview', 'reconcile_billing']);
    expect(source.asked).toEqual([{ workspaceId: 'user-1', range: undefined }]);
    expect(result.report).toBeNull();
    const answer = result.answer;
    expect(answer).toContain('| openai | $50.00 | $57.33 | +$7.33 (+14.66 %) | 5 |');
    expect(answer).toContain('| anthropic | $60.00 | $45.00 | -$15.00 (-25 %) | 3 |');
    expect(answer).toContain('Unpriced model: 40 requests of `gpt-new-preview` on 2026-11-02');
    expect(answer).toContain('billed $3.33');
    expect(answer).toContain('Missing logs on 2026-11-05 for `gpt-4o-2024-08-06`: 0 requests logged against 240 billed, $7.20 billed beyond the logs.');
    expect(answer).toContain('Discount: the bill is 10 % below the computed cost on all 8 comparable lines, -$5.00 in all.');
    expect(answer).toContain('Credit on 2026-11-02: "Promotional credit", -$15.00.');
    expect(answer).toContain('Together these explain the whole difference.');
  });

  it('with the fake LLM: it classifies, the answer is still the code\'s, no answer is asked of the LLM', async () => {
    fake = await startFakeLlm(() => ({ json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } }));
    const llm = createOpenAiCompatibleClient({ baseUrl: fake.url, apiKey: 'k', model: 'fake-analyst', timeoutMs: 5_000, maxRetries: 0 });
    const { result } = await ask('Hey, does the invoice from OpenAI agree with our logs this month?', createSupervisor({ usage, prices, llm, now, reconciliation: plantedSource(true) }));
    expect(fake.requests).toHaveLength(1);
    expect(result.answer).toContain('## Your bill against your logs');
    expect(result.answer).not.toContain('Offline mode');
    expect(result.answer).toContain('$57.33');
  });

  it('without a stored bill: a connector is needed, and how to add one', async () => {
    const { result } = await ask('does our bill match our logs?', createSupervisor({ usage, prices, llm: null, now, reconciliation: plantedSource(false) }));
    expect(result.answer).toContain('## No provider bill to compare with yet');
    expect(result.answer).toContain('PUT /v1/workspaces/<workspace id>/connectors/openai');
    expect(result.answer).toContain('Computed from your logs so far: anthropic $60.00, openai $50.00.');
  });
});
