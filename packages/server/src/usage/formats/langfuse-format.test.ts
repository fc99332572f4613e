import { describe, expect, it } from 'vitest';
import { langfuseFormat, mapLangfuseUnit } from './langfuse-format.js';
import type { MappedItem } from './usage-format.js';

const records = (items: readonly MappedItem[]) => items.map((item) => ('record' in item ? item.record : item.error));
/** The FORMATS.md §6a example. */
const observation = {
  id: 'obs-1',
  traceId: 'tr-9',
  type: 'GENERATION',
  name: 'answer',
  startTime: '2026-11-20T10:00:00.000Z',
  endTime: '2026-11-20T10:00:02.400Z',
  model: 'claude-sonnet-4-5',
  usageDetails: { input: 12, cache_read_input_tokens: 41000, output: 640, total: 41652 },
  costDetails: { input: 0.000036, cache_read_input_tokens: 0.0123, output: 0.0096, total: 0.021936 },
  latency: 2.4,
  level: 'DEFAULT',
  environment: 'production',
};

describe('langfuseFormat', () => {
  it('maps exclusive usageDetails buckets, latency in seconds, costDetails.total kept', () => {
    expect(records(mapLangfuseUnit(observation, 1))).toEqual([
      expect.objectContaining({ id: 'obs-1', ts: '2026-11-20T10:00:00.000Z', model: 'claude-sonnet-4-5', inputTokens: 12, cacheReadTokens: 41000, cacheWriteTokens: 0, outputTokens: 640, latencyMs: 2400, costUsd: 0.021936, project: 'production', feature: 'answer', status: 'ok' }),
    ]);
  });

  it("adds OpenAI-style details (input_cached_tokens, output_reasoning_tokens) as Langfuse's SDKs split them out", () => {
    const openai = { ...observation, model: 'gpt-4o', usageDetails: { input: 100, input_cached_tokens: 1900, output: 50, output_reasoning_tokens: 70, total: 2120 } };
    expect(records(mapLangfuseUnit(openai, 1))).toEqual([expect.objectContaining({ inputTokens: 100, cacheReadTokens: 1900, outputTokens: 120, reasoningTokens: 70 })]);
  });

  it('keeps 1-hour cache writes apart, without counting a total beside its split twice', () => {
    const split = { ...observation, usageDetails: { input: 4, cache_creation_input_tokens: 2285, ephemeral_5m_input_tokens: 285, ephemeral_1h_input_tokens: 2000, output: 159 } };
    expect(records(mapLangfuseUnit(split, 1))).toEqual([expect.objectContaining({ inputTokens: 4, cacheWriteTokens: 285, cacheWrite1hTokens: 2000 })]);
    const onlySplit = { ...observation, usageDetails: { input: 4, input_cache_creation_5m: 10, input_cache_creation_1h: 20, output: 1 } };
    expect(records(mapLangfuseUnit(onlySplit, 1))).toEqual([expect.objectContaining({ cacheWriteTokens: 10, cacheWrite1hTokens: 20 })]);
  });

  it('skips spans, events and agents (they repeat their children), reads API pages and deprecated usage', () => {
    const page = { data: [observation, { ...observation, id: 'span-1', type: 'SPAN' }, { ...observation, id: 'agent-1', type: 'AGENT' }, { ...observation, id: 'old', usageDetails: undefined, usage: { input: 5, output: 6, unit: 'TOKENS' } }], meta: { page: 1, limit: 50, totalItems: 4, totalPages: 1 } };
    expect(records(mapLangfuseUnit(page, 1))).toEqual([expect.objectContaining({ id: 'obs-1' }), expect.objectContaining({ id: 'old', inputTokens: 5, outputTokens: 6 })]);
    expect(mapLangfuseUnit({ ...observation, usageDetails: {} }, 1)).toEqual([]);
  });

  it('marks ERROR observations and reports a generation without a model', () => {
    expect(records(mapLangfuseUnit({ ...observation, level: 'ERROR' }, 1))).toEqual([expect.objectContaining({ status: 'error' })]);
    expect(records(mapLangfuseUnit({ ...observation, model: null }, 1))).toEqual(['no model']);
  });

  it('is detected by traceId, type and usageDetails (also inside a page)', () => {
    const json = (values: unknown[]) => ({ framing: 'json' as const, lines: [], head: '', values });
    expect(langfuseFormat.detect(json([observation]))).toBe(0.96);
    expect(langfuseFormat.detect(json([{ data: [observation], meta: {} }]))).toBe(0.96);
    expect(langfuseFormat.detect(json([{ traceId: 't', spanId: 's' }]))).toBe(0);
  });
});
