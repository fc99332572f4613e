import { describe, expect, it } from 'vitest';
import { aggRow, fixedPriceCatalog } from '../../test/analysis/fixtures.js';
import { analyzeUsage } from '../analysis/analyze-usage.js';
import { buildPlan } from '../analysis/build-plan.js';
import { lineChunks } from './answer-format.js';
import { OFFLINE_LABEL, writeAnswerBody, writeOfflineAnswer, type AnswerFacts } from './answer-templates.js';

const analysis = analyzeUsage({
  rows: [
    aggRow({ day: '2025-03-01', model: 'gpt-4o', provider: 'openai', project: 'etl', feature: 'summarize', interactive: false, requests: 1000, inputTokens: 4_000_000, outputTokens: 1_000_000, costUsd: 20 }),
    aggRow({ day: '2025-03-10', model: 'mystery', requests: 5, unpricedRequests: 5 }),
  ],
  prefixStats: [],
  outputStats: [],
  prices: fixedPriceCatalog(),
  at: new Date('2025-03-31T00:00:00Z'),
});
const facts = (intent: AnswerFacts['intent'], extra: Partial<AnswerFacts> = {}): AnswerFacts => ({
  intent, depth: 'full', analysis, plan: buildPlan(analysis.recommendations), scope: [], notes: [], hasPrefixData: false, hasLimitData: false, ...extra,
});

describe('offline answer templates', () => {
  it('labels the offline answer and states the period, spend and projection', () => {
    const answer = writeOfflineAnswer(facts('cost_analysis', { scope: ['the last 10 days'], notes: ['A note.'] }));
    expect(answer.startsWith(`${OFFLINE_LABEL}\n\n## Where your AI money goes\n`)).toBe(true);
    expect(answer).toContain('From 2025-03-01 to 2025-03-10 (10 days) for the last 10 days: **$20.00** over 1,005 requests, about **$60.00 per 30 days**.');
    expect(answer).toContain('> A note.');
    expect(answer).toContain('| gpt-4o | 1,000 | $20.00 | 100.0% |');
    expect(answer).toContain('_Not priced: mystery (5 requests).');
  });

  it('details the focused strategy and plans every recommendation', () => {
    const body = writeAnswerBody(facts('batching'));
    expect(body).toContain('### 1. Send the non-interactive etl/summarize calls on gpt-4o through the OpenAI batch API');
    expect(body).toContain('Saves about **$30.00/month** of $60.00/month on this traffic (confidence high, quality risk none).');
    expect(body).toContain('- Batch discount: 50.0%');
    expect(body).toMatch(/### Plan\n\n1\. /);
    // The plan line carries its saving with its confidence and quality risk.
    expect(body).toContain('through the OpenAI batch API: queue these requests as batch jobs and collect the results within 24 hours. (about $30.00/month, confidence high, effort medium, quality risk none)');
  });

  it('splits the headline: savings without a model change apart from what switching adds, each with its confidence', () => {
    const body = writeAnswerBody(facts('general'));
    // $20 of nightly calls: batching halves them ($10 x 3 = $30/month); gpt-4.1 then prices them at $16, halved $8: $36 in all.
    expect(analysis.savings).toMatchObject({ withoutModelChange: { monthlySavingUsd: 30 }, modelSwitches: { monthlySavingUsd: 6 }, combinedMonthlySavingUsd: 36 });
    expect(body).toContain('- **Without changing models: about $30.00/month** (confidence high)');
    expect(body).toContain('- **Switching models: about $6.00/month more** (confidence high), only after a quality check');
    expect(body).toContain('Together about $36.00/month, 60.0% of your monthly spend');
    expect(body).not.toContain('All together');
  });

  it('answers a focused question with its part only: no headline, no plan', () => {
    const body = writeAnswerBody(facts('batching', { depth: 'focused' }));
    expect(body).toContain('### 1. Send the non-interactive etl/summarize calls');
    expect(body).not.toContain('### Plan');
    expect(body).not.toContain('### Savings');
    expect(body).toContain('Ask for "the full report"');
    const byModel = writeAnswerBody(facts('cost_analysis', { depth: 'focused', breakdown: 'model' }));
    expect(byModel).toContain('### By model');
    expect(byModel).not.toContain('### By project');
  });

  it('says why a focused strategy found nothing, without figures of its own', () => {
    expect(writeAnswerBody(facts('caching'))).toContain('Your records carry no `promptPrefixHash`');
    expect(writeAnswerBody(facts('caching', { hasPrefixData: true }))).toContain('No repeated prompt prefix would save');
    expect(writeAnswerBody(facts('latency'))).toContain('Your records carry no `latencyMs`');
  });
});

describe('projections from under a week of data', () => {
  // 24 calls over 3 hours: $6 in the period; a month of it is 6 x 720 / 3 = $1,440, an extrapolation.
  const start = Date.parse('2025-03-01T09:00:00Z');
  const rough = analyzeUsage({
    rows: [aggRow({ day: '2025-03-01', model: 'gpt-4o', provider: 'openai', project: 'etl', feature: 'summarize', interactive: false, requests: 24, inputTokens: 1_200_000, outputTokens: 300_000, costUsd: 6, firstMs: start, lastMs: start + 3 * 3_600_000 })],
    prefixStats: [],
    outputStats: [],
    prices: fixedPriceCatalog(),
    at: new Date('2025-03-31T00:00:00Z'),
  });

  it("leads with the period's own figures and calls the monthly ones rough", () => {
    const body = writeAnswerBody({ ...facts('general'), analysis: rough, plan: buildPlan(rough.recommendations) });
    expect(body).toContain('**$6.00** over 24 requests in 3 hours of data.');
    expect(body).toContain('monthly figures here are rough: about $1,440.00 per 30 days if every week looked like this one.');
    expect(body).not.toContain('**$1,440.00 per 30 days**');
    expect(body).toContain('_Rough: projected from under a week of data._');
  });
});

describe('lineChunks', () => {
  it('cuts text into lines that join back exactly', () => {
    const text = 'a\n\nb\nc';
    expect(lineChunks(text)).toEqual(['a\n', '\n', 'b\n', 'c']);
    expect(lineChunks(text).join('')).toBe(text);
    expect(lineChunks('')).toEqual([]);
  });
});
