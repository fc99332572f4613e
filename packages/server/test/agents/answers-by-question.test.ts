import { ReportSchema } from '@tally/protocol';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadHistory } from '../../src/agents/thread-history.js';
import { createSupervisor } from '../../src/agents/supervisor.js';
import { createOpenAiCompatibleClient } from '../../src/llm/openai-compatible-client.js';
import type { UsageStore } from '../../src/usage/usage-store.js';
import { fixedPriceCatalog } from '../analysis/fixtures.js';
import { startFakeLlm, type FakeLlm, type FakeLlmScript } from '../support/fake-llm.js';
import { createMemoryUsageStore } from '../support/memory-usage-store.js';
import { agentsStarted, collectingContext, ofType, seedTeamUsage, streamed } from './supervisor-fixtures.js';

/**
 * Answers that fit the question (issue 16, item 4), offline and with an LLM: a greeting gets a
 * greeting, an off-topic message a polite decline, a specific question its part of the analysis;
 * the full report and plan come when asked for, or for the first analysis question of a thread.
 */
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

/** The thread's earlier questions, as the messages table would give them. */
const historyOf = (earlier: string[]): ThreadHistory & { asked: number } => {
  const history = {
    asked: 0,
    async earlierQuestions(args: { ownerId: string; threadId: string; runId: string }) {
      history.asked++;
      expect(args).toMatchObject({ ownerId: 'user-1', threadId: 'thread-1', runId: 'run-1' });
      return earlier;
    },
  };
  return history;
};

const offline = (earlier: string[] = []) => createSupervisor({ usage, prices, llm: null, now, history: historyOf(earlier) });

async function ask(text: string, supervisor = offline(), firstInThread = false) {
  const { ctx, events } = collectingContext({ text, firstInThread });
  const result = await supervisor.run(ctx);
  expect(streamed(events)).toBe(result.answer);
  return { result, events, report: result.report ? ReportSchema.parse(result.report) : null };
}

describe('answers by kind of question, offline', () => {
  it('a greeting gets a short greeting and what Tally can do: no analysis, no report', async () => {
    const { result, events } = await ask('Hello!');
    expect(agentsStarted(events)).toEqual(['supervisor', 'triage', 'reporting']);
    expect(ofType(events, 'tool_executing').map((t) => t.tool)).toEqual(['usage_overview']);
    expect(result.report).toBeNull();
    expect(result.answer).toContain("Hello! I'm Tally.");
    expect(result.answer).toContain('You have 1,750 usage records loaded, from 2025-03-01 to 2025-03-10.');
    expect(result.answer).toContain('- How much would prompt caching save?');
    expect(result.answer).not.toContain('##');
    expect(result.answer.length).toBeLessThan(800);
  });

  it('a greeting from a user with no data says how to load it', async () => {
    const { ctx } = collectingContext({ text: 'hi', userId: 'nobody' });
    const result = await createSupervisor({ usage, prices, llm: null, now }).run(ctx);
    expect(result.answer).toContain('You have no usage loaded yet');
  });

  it('an off-topic question gets a polite decline', async () => {
    const { result, events } = await ask("What's the weather in Paris tomorrow?");
    expect(agentsStarted(events)).toEqual(['supervisor', 'triage', 'reporting']);
    expect(result.report).toBeNull();
    expect(result.answer).toContain("Sorry, I can only help with your team's LLM usage and cost");
    expect(result.answer).not.toContain('$');
  });

  it("the thread's first analysis question gets its answer first, then the full report and plan", async () => {
    const history = historyOf(['Hello!']);
    const { result, report } = await ask('How much would prompt caching save?', createSupervisor({ usage, prices, llm: null, now, history }));
    expect(history.asked).toBe(1);
    expect(report).toMatchObject({ depth: 'full', focus: 'prompt_caching', intent: 'caching' });
    const answer = result.answer;
    expect(answer.indexOf('## Prompt caching')).toBeLessThan(answer.indexOf('### Savings'));
    expect(answer).toContain('### Plan');
  });

  it("a run the claim found first in its thread reads no history and gets the full report", async () => {
    const history = historyOf(['Where is my AI money going?']);
    const { report } = await ask('How much would prompt caching save?', createSupervisor({ usage, prices, llm: null, now, history }), true);
    expect(history.asked).toBe(0);
    expect(report).toMatchObject({ depth: 'full', focus: 'prompt_caching' });
  });

  it('a specific question later in the thread gets that part only', async () => {
    const first = await ask('How much would prompt caching save?');
    const { result, report, events } = await ask('How much would prompt caching save?', offline(['Where is my AI money going?']));
    expect(report).toMatchObject({ depth: 'focused', focus: 'prompt_caching' });
    expect(result.answer).toContain('## Prompt caching');
    expect(result.answer).toContain('### 1. Cache the repeated prompt prefix of support/reply on gpt-4o');
    for (const part of ['### Plan', '### Savings', '### By model']) expect(result.answer).not.toContain(part);
    expect(result.answer).toContain('Ask for "the full report"');
    expect(result.answer.length).toBeLessThan(first.result.answer.length);
    expect(ofType(events, 'agent_thinking').some((t) => t.text.includes('already had the full report'))).toBe(true);
    // The structured report still holds the whole analysis; its depth tells the card what to show.
    expect(report?.plan.length).toBeGreaterThan(0);
  });

  it('a cost question that names one breakdown gets that breakdown', async () => {
    const { result, report } = await ask('What is our spend by model?', offline(['How much would prompt caching save?']));
    expect(report).toMatchObject({ depth: 'focused', focus: null, intent: 'cost_analysis' });
    expect(result.answer).toContain('### By model');
    expect(result.answer).toContain('| gpt-4o |');
    expect(result.answer).not.toContain('### By project');
    expect(result.answer).not.toContain('### Plan');
  });

  it('the full report and plan come when asked for, however late in the thread', async () => {
    const { result, report } = await ask('Give me the full report', offline(['How much would prompt caching save?', 'Spend by model?']));
    expect(report?.depth).toBe('full');
    for (const part of ['### Savings', '### Plan']) expect(result.answer).toContain(part);
  });

  it('a general question about what to do is answered with the plan', async () => {
    const { result, report } = await ask('How can we reduce our AI bill?', offline(['Spend by model?']));
    expect(report?.depth).toBe('full');
    expect(result.answer).toContain('### Plan');
  });

  it('the headline keeps savings without a model change apart from model switches, with their confidence', async () => {
    const { result, report } = await ask('How can we reduce our AI bill?');
    const savings = report!.savings!;
    expect(savings.withoutModelChange.monthlySavingUsd + savings.modelSwitches.monthlySavingUsd).toBeCloseTo(savings.combinedMonthlySavingUsd, 6);
    expect(result.answer).toContain(`(confidence ${savings.withoutModelChange.confidence}): caching, batch APIs, failed calls and limits`);
    if (savings.modelSwitches.recommendations > 0) expect(result.answer).toContain(`month more** (confidence ${savings.modelSwitches.confidence})`);
    // Every plan line shows its confidence next to its figure; no step is worth $0.
    const planLines = result.answer.split('### Plan')[1]!.split('\n').filter((l) => /^\d+\. /.test(l));
    expect(planLines.length).toBe(report!.plan.length);
    for (const line of planLines) expect(line).toMatch(/\(about \$[\d,.]+\/month, confidence (low|medium|high), /);
    expect(report!.plan.every((s) => s.projectedMonthlySavingUsd > 0 && s.confidence !== undefined)).toBe(true);
  });
});

describe('answers by kind of question, with an LLM', () => {
  async function withLlm(script: FakeLlmScript, earlier: string[] = []) {
    fake = await startFakeLlm(script);
    const llm = createOpenAiCompatibleClient({ baseUrl: fake.url, apiKey: 'k', model: 'fake-analyst', timeoutMs: 5_000, maxRetries: 0 });
    return createSupervisor({ usage, prices, llm, now, history: historyOf(earlier) });
  }
  const triage = (intent: string) => ({ json: { intent, models: [], project: null, timeRange: null } });

  it.each([
    ['greeting', 'Good morning', "Hello! I'm Tally."],
    ['off_topic', 'Can you recommend a pasta recipe?', 'Sorry, I can only help'],
  ])('the LLM classifies a %s: the short reply, and no answer is asked of the LLM', async (intent, text, reply) => {
    const supervisor = await withLlm((request) => (request.body['stream'] === true ? { stream: ['An essay.'] } : triage(intent)));
    const { result, events } = await ask(text, supervisor);
    expect(ofType(events, 'agent_thinking').find((t) => t.agent === 'triage')?.text).toContain('Classified by the LLM');
    expect(result.answer).toContain(reply);
    expect(result.report).toBeNull();
    expect(fake!.requests).toHaveLength(1);
  });

  it('a specific question later in a thread gives the LLM only that part as its facts', async () => {
    const supervisor = await withLlm((request) => (request.body['stream'] === true ? { stream: ['Caching saves a little.'] } : triage('caching')), ['Where is my money going?']);
    const { result, report } = await ask('And caching?', supervisor);
    expect(report).toMatchObject({ depth: 'focused', focus: 'prompt_caching', mode: 'llm' });
    expect(result.answer).toBe('Caching saves a little.');
    const facts = JSON.stringify(fake!.requests.find((r) => r.body['stream'] === true)!.body['messages']);
    expect(facts).toContain('Cache the repeated prompt prefix');
    expect(facts).not.toContain('### Plan');
  });

  it('the first analysis question gives the LLM the full facts, headline split included', async () => {
    const supervisor = await withLlm((request) => (request.body['stream'] === true ? { stream: ['Here is the picture.'] } : triage('caching')));
    const { report } = await ask('And caching?', supervisor);
    expect(report?.depth).toBe('full');
    const facts = JSON.stringify(fake!.requests.find((r) => r.body['stream'] === true)!.body['messages']);
    expect(facts).toContain('### Plan');
    expect(facts).toContain('Without changing models: about');
  });
});
