import { ReportSchema } from '@tally/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSupervisor } from '../../src/agents/supervisor.js';
import { createOpenAiCompatibleClient } from '../../src/llm/openai-compatible-client.js';
import type { UsageStore } from '../../src/usage/usage-store.js';
import { fixedPriceCatalog } from '../analysis/fixtures.js';
import { startFakeLlm, type FakeLlm, type FakeLlmRequest, type FakeLlmScript } from '../support/fake-llm.js';
import { createMemoryUsageStore } from '../support/memory-usage-store.js';
import { TEAM_MONTHLY_TEXT, agentsStarted, collectingContext, ofType, seedTeamUsage, streamed } from './supervisor-fixtures.js';

const prices = fixedPriceCatalog();
const now = () => new Date('2025-03-11T00:00:00Z');
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

async function supervisorWith(script: FakeLlmScript) {
  fake = await startFakeLlm(script);
  const llm = createOpenAiCompatibleClient({ baseUrl: fake.url, apiKey: 'k', model: 'fake-analyst', timeoutMs: 5_000, maxRetries: 0 });
  return createSupervisor({ usage, prices, llm, now });
}

const isTriage = (request: FakeLlmRequest) => !request.stream && 'response_format' in request.body;
const promptOf = (request: FakeLlmRequest) => JSON.stringify(request.body['messages']);

describe('supervisor with an OpenAI-compatible LLM', () => {
  it('classifies with structured output and streams the LLM answer as message deltas', async () => {
    const supervisor = await supervisorWith((request) =>
      isTriage(request)
        ? { json: { intent: 'caching', models: [], project: null, timeRange: null } }
        : { stream: ['Caching ', 'would not ', 'save much.'], chunkDelayMs: 5 },
    );
    const { ctx, events } = collectingContext({ text: 'Tell me about my usage' });
    const result = await supervisor.run(ctx);

    expect(agentsStarted(events)).toEqual(['supervisor', 'triage', 'data', 'optimization', 'actions', 'reporting']);
    expect(ofType(events, 'agent_thinking').find((t) => t.agent === 'triage')?.text).toContain('Classified by the LLM (fake-analyst)');
    expect(ofType(events, 'message_delta')).toEqual([
      { agent: 'reporting', text: 'Caching ' },
      { agent: 'reporting', text: 'would not ' },
      { agent: 'reporting', text: 'save much.' },
    ]);
    expect(result.answer).toBe('Caching would not save much.');
    expect(streamed(events)).toBe(result.answer);
    const report = ReportSchema.parse(result.report);
    expect(report).toMatchObject({ intent: 'caching', mode: 'llm' });

    // The LLM got the computed figures as its facts, and the owner's models for triage.
    const [triage, reporting] = fake!.requests;
    expect(promptOf(triage!)).toContain('Models in the data: gpt-4o, gpt-4o-mini');
    expect(reporting!.stream).toBe(true);
    expect(promptOf(reporting!)).toContain(`${TEAM_MONTHLY_TEXT} per 30 days`);
    expect(promptOf(reporting!)).toContain('Use only numbers that appear in the FACTS');
  });

  it('uses the entities the LLM found, completed by the rules', async () => {
    const supervisor = await supervisorWith((request) =>
      isTriage(request)
        ? { json: { intent: 'cost_analysis', models: ['GPT-4o-mini'], project: null, timeRange: { lastDays: 3, from: null, to: null } } }
        : { stream: ['ok'] },
    );
    const { ctx } = collectingContext({ text: 'What did the cheap model cost lately?' });
    const result = await supervisor.run(ctx);
    expect(result.report?.period).toEqual({ from: '2025-03-09', to: '2025-03-10', days: 2 });
    expect(result.report?.breakdowns.byModel.map((r) => r.key)).toEqual(['gpt-4o-mini']);
  });

  it.each([
    ['malformed JSON', { text: '{"intent": "caching", "mod' }],
    ['an object the schema refuses', { json: { intent: 'astrology', models: 'all', project: 3 } }],
  ])('falls back to the rules when triage gets %s', async (_, reply) => {
    const supervisor = await supervisorWith((request) => (isTriage(request) ? reply : { stream: ['Errors cost little.'] }));
    const { ctx, events } = collectingContext({ text: 'What do errors and retries cost us?' });
    const result = await supervisor.run(ctx);
    const thinking = ofType(events, 'agent_thinking').find((t) => t.agent === 'triage')?.text;
    expect(thinking).toContain('fell back to the rule-based classifier');
    expect(result.report).toMatchObject({ intent: 'errors', mode: 'llm' });
    expect(result.answer).toBe('Errors cost little.');
  });

  it('marks numbers the LLM made up where they stand, with the reason in a footnote', async () => {
    const supervisor = await supervisorWith((request) =>
      isTriage(request) ? { json: { intent: 'general', models: [], project: null, timeRange: null } } : { stream: [`You spend ${TEAM_MONTHLY_TEXT} a month; cut $512.40 now.`] },
    );
    const { ctx, events } = collectingContext({ text: 'How do we spend less?' });
    const result = await supervisor.run(ctx);
    // The mark is in the final answer (which replaces the streamed text); the footnote also streams after the text.
    const note = "\n\n[^1]: 512.40 is not in Tally's analysis; the figures in the report are the computed ones.\n";
    expect(result.answer).toBe(`You spend ${TEAM_MONTHLY_TEXT} a month; cut $512.40[^1] now.${note}`);
    expect(streamed(events)).toBe(`You spend ${TEAM_MONTHLY_TEXT} a month; cut $512.40 now.${note}`);
    expect(ofType(events, 'agent_thinking').at(-1)?.text).toContain('512.40 (not in facts)');
  });

  it('catches a fact used under the wrong label: a spend called a saving, a monthly figure called the total', async () => {
    // TEAM_MONTHLY_TEXT is the spend per 30 days and $26.58 the period's spend (facts of the seeded team usage).
    const supervisor = await supervisorWith((request) =>
      isTriage(request)
        ? { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } }
        : { stream: [`In total you spent ${TEAM_MONTHLY_TEXT}. `, 'Switching could save $26.58 a month.'] },
    );
    const { ctx } = collectingContext({ text: 'Where is my AI money going?' });
    const result = await supervisor.run(ctx);
    expect(result.answer).toBe(
      `In total you spent ${TEAM_MONTHLY_TEXT}[^1]. Switching could save $26.58[^2] a month.\n\n` +
        `[^1]: ${TEAM_MONTHLY_TEXT.slice(1)} is a projection per 30 days, not the period's total.\n` +
        "[^2]: 26.58 is a spend in Tally's analysis, not a saving.\n",
    );
  });

  // An LLM that gives no answer at all (an HTTP error after retries, a timeout) ends the run with a
  // clear code instead of falling back: a silent offline answer would hide a broken configuration.
  it.each([
    ['triage', (request: FakeLlmRequest) => (isTriage(request) ? { error: { status: 500, message: 'overloaded' } } : { stream: ['never'] })],
    ['reporting', (request: FakeLlmRequest) => (isTriage(request) ? { json: { intent: 'errors', models: [], project: null, timeRange: null } } : { error: { status: 503, message: 'down' } })],
  ] as const)('an HTTP error in %s ends the run with LLM_UNAVAILABLE', async (_, script) => {
    const supervisor = await supervisorWith(script);
    const { ctx } = collectingContext({ text: 'What do errors and retries cost us?' });
    const error = await supervisor.run(ctx).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AppError', code: 'LLM_UNAVAILABLE' });
    expect((error as Error).message).toContain('HTTP 5');
  });

  it('a timeout ends the run with LLM_TIMEOUT', async () => {
    fake = await startFakeLlm([{ hang: true }]);
    const llm = createOpenAiCompatibleClient({ baseUrl: fake.url, apiKey: 'k', model: 'fake-analyst', timeoutMs: 150, maxRetries: 0 });
    const { ctx } = collectingContext({ text: 'Where is my money going?' });
    const error = await createSupervisor({ usage, prices, llm, now }).run(ctx).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AppError', code: 'LLM_TIMEOUT' });
    await fake.waitForAbort();
  });

  it('writes the offline answer when the LLM answer is empty', async () => {
    const supervisor = await supervisorWith((request) =>
      isTriage(request) ? { json: { intent: 'general', models: [], project: null, timeRange: null } } : { stream: [] },
    );
    const { ctx, events } = collectingContext({ text: 'How do we spend less?' });
    const result = await supervisor.run(ctx);
    expect(result.answer).toContain('**Offline mode**');
    expect(result.report?.mode).toBe('offline');
    expect(streamed(events)).toBe(result.answer);
    expect(ofType(events, 'agent_thinking').some((t) => t.text.includes('writing the offline answer instead'))).toBe(true);
  });

  it('a stop mid-answer aborts the LLM request and emits nothing more', async () => {
    const supervisor = await supervisorWith((request) =>
      isTriage(request)
        ? { json: { intent: 'general', models: [], project: null, timeRange: null } }
        : { stream: Array.from({ length: 50 }, (_, i) => `word${i} `), chunkDelayMs: 20 },
    );
    let stoppedAt = -1;
    const { ctx, events, controller } = collectingContext({
      text: 'How do we spend less?',
      onEmit: (event, all) => {
        if (event.type === 'message_delta' && stoppedAt < 0) {
          stoppedAt = all.length;
          controller.abort();
        }
      },
    });
    const error = await supervisor.run(ctx).catch((e: unknown) => e);
    expect(error).toBe(controller.signal.reason);
    const aborted = await fake!.waitForAbort();
    expect(aborted.stream).toBe(true);
    expect(fake!.abortedRequests).toBe(1);
    expect(events).toHaveLength(stoppedAt);
    expect(ofType(events, 'agent_completed').map((d) => d.agent)).not.toContain('reporting');
  });

  it('a stop during triage reaches the structured-output request', async () => {
    const supervisor = await supervisorWith([{ hang: true }]);
    const { ctx, events, controller } = collectingContext({ text: 'Where is my money going?' });
    const running = supervisor.run(ctx);
    await expect.poll(() => fake!.requests.length).toBe(1);
    const before = events.length;
    controller.abort();
    await expect(running).rejects.toBe(controller.signal.reason);
    await fake!.waitForAbort();
    expect(events).toHaveLength(before);
  });

  it('answers a general question through tools that only see the run owner’s records', async () => {
    await seedTeamUsage(usage, prices, 'user-2');
    const supervisor = await supervisorWith((request) => {
      if (isTriage(request)) return { json: { intent: 'general', models: [], project: null, timeRange: null } };
      const turns = (request.body['messages'] as Array<{ role: string }>).filter((m) => m.role === 'assistant').length;
      return turns === 0
        ? { toolCalls: [{ name: 'what_if_model', args: { targetModel: 'gpt-4o-mini', project: 'support', from: '2025-03-01', to: '2025-03-10' } }] }
        : { stream: ['Moving support to gpt-4o-mini saves $18.98.'] };
    });
    const { ctx, events } = collectingContext({ text: 'What if support ran on the mini model?' });
    const result = await supervisor.run(ctx);
    const completed = ofType(events, 'tool_completed').filter((t) => t.agent === 'reporting');
    expect(completed).toHaveLength(1);
    // support/reply on gpt-4o: 1,000 calls at $0.02 and 50 errors at $0.01 = $20.50; on gpt-4o-mini
    // (0.15 / 0.6 per MTok) the same tokens cost $1.20 + $0.03: saving $19.27.
    expect(completed[0]!.result).toMatchObject({ targetModel: 'gpt-4o-mini', requests: 1050, currentCostUsd: 20.5, projectedCostUsd: 1.23, savingUsd: 19.27 });
    // 18.98 is in no tool result: marked where it stands.
    expect(result.answer).toContain("saves $18.98[^1].\n\n[^1]: 18.98 is not in Tally's analysis");
  });

  it('a stop during a tool call abandons it: no tool_completed, nothing more', async () => {
    let release: (() => void) | undefined;
    const slow: UsageStore = {
      ...usage,
      aggregate: async (owner, range) => {
        await new Promise<void>((resolve) => (release = resolve));
        return usage.aggregate(owner, range);
      },
    };
    fake = await startFakeLlm((request) =>
      isTriage(request) ? { json: { intent: 'general', models: [], project: null, timeRange: null } } : { toolCalls: [{ name: 'top_spend', args: {} }] },
    );
    const llm = createOpenAiCompatibleClient({ baseUrl: fake.url, apiKey: 'k', model: 'fake-analyst', timeoutMs: 5_000, maxRetries: 0 });
    const { ctx, events, controller } = collectingContext({
      text: 'Anything odd?',
      onEmit: (event) => {
        if (event.type === 'tool_executing' && event.data.tool === 'top_spend') controller.abort();
      },
    });
    // The data agent's aggregate goes through; the tool's one waits until the stop.
    const supervisor = createSupervisor({ usage: { ...slow, aggregate: (o, r) => (ofType(events, 'agent_started').some((a) => a.agent === 'reporting') ? slow.aggregate(o, r) : usage.aggregate(o, r)) }, prices, llm, now });
    const error = await supervisor.run(ctx).catch((e: unknown) => e);
    release?.();
    expect(error).toBe(controller.signal.reason);
    expect(events.at(-1)).toMatchObject({ type: 'tool_executing', data: { tool: 'top_spend' } });
    expect(ofType(events, 'tool_completed').filter((t) => t.tool === 'top_spend')).toEqual([]);
  });
});
