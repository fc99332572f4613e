import { AGENT_NAMES, ReportSchema, isTerminalEvent, type RunEventDraft } from '@tally/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSupervisor } from '../../src/agents/supervisor.js';
import { analyzeUsage } from '../../src/analysis/analyze-usage.js';
import { buildPlan } from '../../src/analysis/build-plan.js';
import { buildReport } from '../../src/analysis/build-report.js';
import type { UsageStore } from '../../src/usage/usage-store.js';
import { fixedPriceCatalog } from '../analysis/fixtures.js';
import { createMemoryUsageStore } from '../support/memory-usage-store.js';
import { TEAM_MONTHLY_FACTOR, TEAM_MONTHLY_TEXT, TEAM_SPEND_USD, agentsStarted, collectingContext, ofType, seedTeamUsage, streamed } from './supervisor-fixtures.js';

const prices = fixedPriceCatalog();
const now = () => new Date('2025-03-11T00:00:00Z');
let usage: UsageStore;

beforeAll(async () => {
  usage = createMemoryUsageStore();
  await seedTeamUsage(usage, prices, 'user-1');
});

/** Each agent's events sit between its start and completion, one agent at a time. */
function expectBalanced(events: RunEventDraft[]): void {
  expect(events[0]).toEqual({ type: 'agent_started', data: { agent: 'supervisor' } });
  expect(events.at(-1)).toMatchObject({ type: 'agent_completed', data: { agent: 'supervisor', durationMs: expect.any(Number) } });
  let current: string | null = null;
  for (const event of events.slice(1, -1)) {
    expect(isTerminalEvent(event.type)).toBe(false);
    if (event.type === 'agent_started') {
      expect(current).toBeNull();
      current = event.data.agent;
    } else if (event.type === 'agent_completed') {
      expect(event.data.agent).toBe(current);
      expect(event.data.durationMs).toBeGreaterThanOrEqual(0);
      expect(event.data.summary).toEqual(expect.any(String));
      current = null;
    } else if ('agent' in event.data) {
      expect(event.data.agent).toBe(current);
    }
  }
  expect(current).toBeNull();
  for (const event of events) if ('agent' in event.data) expect(AGENT_NAMES).toContain(event.data.agent);
}

describe('supervisor, offline', () => {
  const supervisor = () => createSupervisor({ usage, prices, llm: null, now });

  it('runs triage, data, optimization, actions and reporting, in order, with tool events', async () => {
    const { ctx, events } = collectingContext({ text: 'Where is my AI money going?' });
    const result = await supervisor().run(ctx);

    expectBalanced(events);
    expect(agentsStarted(events)).toEqual(['supervisor', 'triage', 'data', 'optimization', 'actions', 'reporting']);
    const executing = ofType(events, 'tool_executing');
    const completed = ofType(events, 'tool_completed');
    expect(executing.map((t) => t.tool)).toEqual(['usage_overview', 'usage_aggregate', 'usage_prefix_stats', 'usage_output_stats']);
    expect(completed.map((t) => t.toolCallId)).toEqual(executing.map((t) => t.toolCallId));
    for (const [i, t] of completed.entries()) {
      expect(t).toMatchObject({ tool: executing[i]!.tool, args: executing[i]!.args, durationMs: expect.any(Number) });
      expect(t.result).toBeDefined();
      expect(t.error).toBeUndefined();
    }
    expect(completed[0]!.result).toMatchObject({ records: 1750, models: ['gpt-4o', 'gpt-4o-mini'] });
    expect(completed[1]).toMatchObject({ args: { from: null, to: null }, result: { requests: 1750, costUsd: 26.578 } });
    expect(ofType(events, 'agent_thinking')[0]?.text).toContain('Offline mode');

    expect(streamed(events)).toBe(result.answer);
    expect(ofType(events, 'message_delta').length).toBeGreaterThan(5);
    expect(result.answer).toContain('**Offline mode**');
    expect(result.answer).toContain('## Where your AI money goes');
    expect(result.answer).toContain('$26.58');
    expect(result.answer).toContain(`${TEAM_MONTHLY_TEXT} per 30 days`);
  });

  it('reports exactly what a direct analysis of the same data computes', async () => {
    const { ctx } = collectingContext({ text: 'Where is my AI money going?' });
    const result = await supervisor().run(ctx);
    const report = ReportSchema.parse(result.report);

    const analysis = analyzeUsage({
      rows: await usage.aggregate('user-1'),
      prefixStats: await usage.prefixStats('user-1'),
      outputStats: await usage.outputStats('user-1'),
      prices,
      at: now(),
    });
    expect(report).toEqual(buildReport({ intent: 'cost_analysis', analysis, plan: buildPlan(analysis.recommendations), mode: 'offline' }));
    expect(report.totals).toMatchObject({ requests: 1750, costUsd: 26.578, errorRate: 0.028571 });
    expect(report.totals.monthlyCostUsd).toBeCloseTo(TEAM_SPEND_USD * TEAM_MONTHLY_FACTOR, 5);
    expect(report.period).toEqual({ from: '2025-03-01', to: '2025-03-10', days: 10 });
    // The nightly etl calls: $6 in the period, half of it saved by the batch API, scaled to a month.
    const batch = report.recommendations.find((r) => r.strategy === 'batch_api');
    expect(batch).toMatchObject({ scope: 'project=etl feature=summarize model=gpt-4o' });
    expect(batch?.projectedMonthlySavingUsd).toBeCloseTo(3 * TEAM_MONTHLY_FACTOR, 5);
    // Failed support calls: 50 x $0.01, x 3.
    expect(report.recommendations.find((r) => r.strategy === 'error_waste')?.projectedMonthlySavingUsd).toBeCloseTo(0.5 * TEAM_MONTHLY_FACTOR, 5);
    for (const rec of report.recommendations) expect(result.answer).toContain(rec.title);
  });

  it.each([
    ['How much would prompt caching save us?', 'caching', '## Prompt caching'],
    ['Should we switch to a cheaper model?', 'model_choice', '## Cheaper models for the same work'],
    ['Could our nightly jobs use a batch API?', 'batching', '## Batch APIs for traffic nobody waits on'],
    ['What do errors and retries cost us?', 'errors', '## Errors, retries and timeouts'],
    ['Which model is slowest? What is our latency?', 'latency', '## Latency'],
    ['How can we reduce our AI bill?', 'general', '## Your AI spend and how to cut it'],
  ] as const)('shapes the answer by intent: %s', async (text, intent, heading) => {
    const { ctx } = collectingContext({ text });
    const result = await supervisor().run(ctx);
    expect(result.report?.intent).toBe(intent);
    expect(result.answer).toContain(heading);
    // (1,000 x 1.2 s + 50 x 0.3 s + 200 x 8 s) / 1,250 = 2,252 ms.
    if (intent === 'latency') expect(result.answer).toContain('| gpt-4o | 1,250 | 2,252 ms |');
    if (intent === 'errors') expect(result.answer).toContain('50 requests failed (50 errors, 0 timeouts)');
    if (intent === 'batching') expect(result.answer).toContain('### 1. Send the non-interactive etl/summarize calls on gpt-4o');
  });

  it('narrows to the time range and project the message names', async () => {
    const { ctx, events } = collectingContext({ text: 'What did project etl cost in the last 3 days?' });
    const result = await supervisor().run(ctx);
    expect(ofType(events, 'tool_completed')[1]!.args).toEqual({ from: '2025-03-09T00:00:00.000Z', to: null });
    expect(result.report?.period).toEqual({ from: '2025-03-09', to: '2025-03-10', days: 2 });
    expect(result.report?.breakdowns.byProject.map((r) => r.key)).toEqual(['etl']);
    expect(result.answer).toContain('for the last 3 days, project etl');
  });

  it('widens a range with no data to all the data, and says so', async () => {
    const { ctx } = collectingContext({ text: 'What did we spend yesterday?' });
    const result = await createSupervisor({ usage, prices, llm: null, now: () => new Date('2025-06-01T10:00:00Z') }).run(ctx);
    expect(result.report?.period?.days).toBe(10);
    expect(result.answer).toContain('You have no usage in yesterday (2025-05-31), so this covers all your data (2025-03-01 to 2025-03-10) instead.');
  });

  it('hands a user with no data to the data helper, and never shows another user\'s data', async () => {
    const { ctx, events } = collectingContext({ text: 'Where is my AI money going?', userId: 'user-2' });
    const result = await supervisor().run(ctx);
    expectBalanced(events);
    expect(agentsStarted(events)).toEqual(['supervisor', 'triage', 'data_helper']);
    expect(ofType(events, 'tool_completed')[0]!.result).toMatchObject({ records: 0 });
    expect(result.report).toBeNull();
    expect(streamed(events)).toBe(result.answer);
    expect(ofType(events, 'message_delta').every((d) => d.agent === 'data_helper')).toBe(true);
    for (const needle of ['tally ingest usage.ndjson', 'tally generate-usage', 'POST /v1/workspaces/<workspace id>/usage', 'application/x-ndjson', 'Drag and drop', 'Offline mode']) {
      expect(result.answer).toContain(needle);
    }
  });

  it('a stop mid-run throws the abort reason and emits nothing after it', async () => {
    let stoppedAt = -1;
    const { ctx, events, controller } = collectingContext({
      text: 'Where is my AI money going?',
      onEmit: (event, all) => {
        if (event.type === 'tool_completed' && event.data.tool === 'usage_aggregate') {
          stoppedAt = all.length;
          controller.abort();
        }
      },
    });
    const error = await supervisor().run(ctx).catch((e: unknown) => e);
    expect(error).toBe(controller.signal.reason);
    expect((error as Error).name).toBe('AbortError');
    expect(events).toHaveLength(stoppedAt);
    expect(ofType(events, 'agent_completed').map((d) => d.agent)).toEqual(['triage']);
  });

  it('a run stopped before it starts emits nothing', async () => {
    const controller = new AbortController();
    controller.abort(new DOMException('stopped by the user', 'AbortError'));
    const { ctx, events } = collectingContext({ text: 'hi', controller });
    await expect(supervisor().run(ctx)).rejects.toBe(controller.signal.reason);
    expect(events).toEqual([]);
  });

  it('reports a failing store call on its tool event, then fails the run', async () => {
    const broken: UsageStore = { ...usage, aggregate: () => Promise.reject(new Error('database is down')) };
    const { ctx, events } = collectingContext({ text: 'Where is my AI money going?' });
    await expect(createSupervisor({ usage: broken, prices, llm: null, now }).run(ctx)).rejects.toThrow('database is down');
    expect(ofType(events, 'tool_completed').at(-1)).toMatchObject({ tool: 'usage_aggregate', error: 'database is down', result: null });
  });
});
