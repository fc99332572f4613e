import { describe, expect, it } from 'vitest';
import { litellmFormat, mapLiteLlmRow } from './litellm-format.js';
import type { FormatSample, MappedItem } from './usage-format.js';

const map = (value: unknown) => mapLiteLlmRow(value, 2);
const only = (items: readonly MappedItem[]) => {
  expect(items).toHaveLength(1);
  return items[0]!;
};

/** The FORMATS.md §3 example row. */
const EXAMPLE = {
  request_id: 'chatcmpl-7f2',
  call_type: 'acompletion',
  api_key: '9f1c',
  spend: 0.00042,
  prompt_tokens: 10,
  completion_tokens: 8,
  total_tokens: 18,
  startTime: '2026-11-20T10:00:01Z',
  endTime: '2026-11-20T10:00:02Z',
  model: 'gpt-4o-mini',
  model_group: 'fast',
  user: 'u-42',
  metadata: '{"status":"success","additional_usage_values":{}}',
  cache_hit: 'False',
};

describe('litellmFormat', () => {
  it('maps the FORMATS.md example: spend kept for reference, metadata given as a JSON string', () => {
    expect(only(map(EXAMPLE))).toEqual({
      lineNumber: 2,
      record: expect.objectContaining({ id: 'chatcmpl-7f2', ts: '2026-11-20T10:00:01.000Z', model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 8, costUsd: 0.00042, user: 'u-42', latencyMs: 1000, status: 'ok' }),
    });
  });

  it('subtracts cache counts from additional_usage_values when they fit inside prompt_tokens, else keeps prompt_tokens as uncached', () => {
    const metadata = { additional_usage_values: { cache_read_input_tokens: 4000, cache_creation_input_tokens: 500 } };
    expect(only(map({ ...EXAMPLE, prompt_tokens: 4600, metadata }))).toMatchObject({ record: { inputTokens: 100, cacheReadTokens: 4000, cacheWriteTokens: 500 } });
    expect(only(map({ ...EXAMPLE, prompt_tokens: 100, metadata }))).toMatchObject({ record: { inputTokens: 100, cacheReadTokens: 4000, cacheWriteTokens: 500 } });
    const openai = { additional_usage_values: { prompt_tokens_details: { cached_tokens: 6 }, completion_tokens_details: { reasoning_tokens: 3 } } };
    expect(only(map({ ...EXAMPLE, metadata: JSON.stringify(openai) }))).toMatchObject({ record: { inputTokens: 4, cacheReadTokens: 6, reasoningTokens: 3 } });
  });

  it('reads the 1-hour cache writes where LiteLLM records them, as a part of the write total', () => {
    // LiteLLM's usage object (Anthropic through the proxy): the total in cache_creation_input_tokens,
    // the split in prompt_tokens_details.cache_creation_token_details.
    const usage = {
      additional_usage_values: {
        cache_creation_input_tokens: 3000,
        cache_read_input_tokens: 1000,
        prompt_tokens_details: { cached_tokens: 1000, cache_creation_tokens: 3000, cache_creation_token_details: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 } },
      },
    };
    expect(only(map({ ...EXAMPLE, prompt_tokens: 4100, metadata: JSON.stringify(usage) }))).toMatchObject({
      record: { inputTokens: 100, cacheReadTokens: 1000, cacheWriteTokens: 1000, cacheWrite1hTokens: 2000 },
    });
    // An Anthropic pass-through of the raw usage: cache_creation.ephemeral_1h_input_tokens.
    const raw = { additional_usage_values: { cache_creation_input_tokens: 500, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 500 } } };
    expect(only(map({ ...EXAMPLE, prompt_tokens: 600, metadata: raw }))).toMatchObject({ record: { inputTokens: 100, cacheWriteTokens: 0, cacheWrite1hTokens: 500 } });
    // No split: every write is a 5-minute write; a 1-hour part above the total is refused.
    expect(only(map({ ...EXAMPLE, prompt_tokens: 600, metadata: { additional_usage_values: { cache_creation_input_tokens: 500 } } }))).toMatchObject({ record: { cacheWriteTokens: 500, cacheWrite1hTokens: 0 } });
    const over = { additional_usage_values: { cache_creation_input_tokens: 5, cache_creation: { ephemeral_1h_input_tokens: 9 } } };
    expect(only(map({ ...EXAMPLE, metadata: over }))).toMatchObject({ error: expect.stringContaining('exceeds the cache writes') });
  });

  it('reads a CSV row: every cell is text, times have no zone (UTC), empty cells are absent', () => {
    const row = { ...Object.fromEntries(Object.entries(EXAMPLE).map(([k, v]) => [k, String(v)])), startTime: '2026-11-20 10:00:01.250', endTime: '', team_id: '', request_duration_ms: '812' };
    expect(only(map(row))).toMatchObject({ record: { ts: '2026-11-20T10:00:01.250Z', inputTokens: 10, outputTokens: 8, costUsd: 0.00042, latencyMs: 812, project: 'default' } });
  });

  it('skips proxy cache hits and retrievals of stored responses: they cost nothing at the provider', () => {
    expect(map({ ...EXAMPLE, cache_hit: 'True' })).toEqual([]);
    expect(map({ ...EXAMPLE, cache_hit: true })).toEqual([]);
    expect(map({ ...EXAMPLE, call_type: 'aget_responses' })).toEqual([]);
  });

  it('keys rows on request_id, except the placeholder ids LiteLLM writes for a missing one', () => {
    for (const id of ['None', '', 'null']) {
      const item = only(map({ ...EXAMPLE, request_id: id }));
      expect('record' in item && item.record.id).toBeUndefined();
    }
  });

  it('maps failure rows to errors, strips a provider prefix, reads team and feature', () => {
    const row = { ...EXAMPLE, status: 'failure', model: 'openai/gpt-4o', custom_llm_provider: 'openai', metadata: { user_api_key_team_alias: 'search', spend_logs_metadata: { feature: 'rag' } } };
    expect(only(map(row))).toMatchObject({ record: { status: 'error', model: 'gpt-4o', provider: 'openai', project: 'search', feature: 'rag' } });
    expect(only(map({ ...EXAMPLE, metadata: '{"status":"failure"}' }))).toMatchObject({ record: { status: 'error' } });
  });

  it('reports rows it cannot use', () => {
    expect(only(map({ ...EXAMPLE, startTime: undefined }))).toMatchObject({ error: 'no startTime' });
    expect(only(map({ ...EXAMPLE, prompt_tokens: 'ten' }))).toMatchObject({ error: expect.stringMatching(/^prompt_tokens/) });
    expect(only(map({ ...EXAMPLE, model: '', model_group: undefined }))).toMatchObject({ error: 'no model' });
  });

  it('recognises SpendLogs rows as JSON and as a CSV header', () => {
    const json: FormatSample = { framing: 'json', lines: [], values: [EXAMPLE], head: '' };
    expect(litellmFormat.detect(json)).toBeGreaterThan(0.9);
    const csv: FormatSample = { framing: 'csv', lines: [], values: [], csvHeader: Object.keys(EXAMPLE), head: '' };
    expect(litellmFormat.detect(csv)).toBeGreaterThan(0.9);
    expect(litellmFormat.detect({ ...csv, csvHeader: ['timestamp', 'model', 'prompt_tokens'] })).toBe(0);
  });
});
