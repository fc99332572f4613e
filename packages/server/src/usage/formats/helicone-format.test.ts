import { describe, expect, it } from 'vitest';
import { heliconeFormat, mapHeliconeUnit } from './helicone-format.js';
import type { MappedItem } from './usage-format.js';

const records = (items: readonly MappedItem[]) => items.map((item) => ('record' in item ? item.record : item.error));
/** The FORMATS.md §6b example, with the columns an export has. */
const request = {
  request_id: '5e0c9a2e-1f0b-4c1e-9d77-0a8f6f0e2b11',
  request_created_at: '2026-11-20T10:00:00Z',
  response_status: 200,
  request_model: 'gpt-4o',
  response_model: 'gpt-4o-2024-08-06',
  model: 'gpt-4o-2024-08-06',
  provider: 'OPENAI',
  delay_ms: 812,
  prompt_tokens: 1900,
  prompt_cache_read_tokens: 1024,
  prompt_cache_write_tokens: 0,
  completion_tokens: 120,
  total_tokens: 2020,
  costUSD: 0.0049,
  request_user_id: 'u-7',
  properties: { feature: 'search', project: 'shop' },
  cache_reference_id: '00000000-0000-0000-0000-000000000000',
};

describe('heliconeFormat', () => {
  it('subtracts OpenAI cache reads from the prompt that includes them; costUSD kept', () => {
    expect(records(mapHeliconeUnit(request, 1))).toEqual([
      expect.objectContaining({ id: request.request_id, ts: '2026-11-20T10:00:00.000Z', provider: 'openai', model: 'gpt-4o-2024-08-06', inputTokens: 876, cacheReadTokens: 1024, outputTokens: 120, latencyMs: 812, costUsd: 0.0049, user: 'u-7', feature: 'search', project: 'shop' }),
    ]);
  });

  it("takes Anthropic's prompt_tokens as uncached, as Anthropic reports it", () => {
    const claude = { ...request, provider: 'ANTHROPIC', model: 'claude-sonnet-4-5', response_model: undefined, prompt_tokens: 12, prompt_cache_read_tokens: 5, prompt_cache_write_tokens: 3 };
    expect(records(mapHeliconeUnit(claude, 1))).toEqual([expect.objectContaining({ provider: 'anthropic', inputTokens: 12, cacheReadTokens: 5, cacheWriteTokens: 3 })]);
  });

  it('skips gateway-cache hits, reads query answers and CSV rows, marks failures', () => {
    expect(mapHeliconeUnit({ ...request, cache_reference_id: '9b1f0c3e-0000-4000-8000-000000000001' }, 1)).toEqual([]);
    expect(records(mapHeliconeUnit({ data: [request, { ...request, request_id: 'r2', response_status: 500 }], error: null }, 1))).toEqual([expect.objectContaining({ status: 'ok' }), expect.objectContaining({ id: 'r2', status: 'error' })]);
    const csv = Object.fromEntries(Object.entries({ ...request, properties: '{"feature":"search"}' }).map(([k, v]) => [k, String(v)]));
    expect(records(mapHeliconeUnit(csv, 2))).toEqual([expect.objectContaining({ inputTokens: 876, feature: 'search', latencyMs: 812 })]);
  });

  it('is detected above LiteLLM for its own columns', () => {
    expect(heliconeFormat.detect({ framing: 'json', lines: [], head: '', values: [request] })).toBe(0.96);
    expect(heliconeFormat.detect({ framing: 'csv', lines: [], head: '', values: [], csvHeader: ['request_id', 'request_created_at', 'model', 'prompt_tokens', 'completion_tokens'] })).toBe(0.96);
    expect(heliconeFormat.detect({ framing: 'json', lines: [], head: '', values: [{ request_id: 'r', spend: 1 }] })).toBe(0);
  });
});
