import { describe, expect, it } from 'vitest';
import { mapOpenRouterUnit, openrouterFormat } from './openrouter-format.js';
import type { MappedItem } from './usage-format.js';

const records = (items: readonly MappedItem[]) => items.map((item) => ('record' in item ? item.record : item.error));
const generation = {
  id: 'gen-1763633400-aBcD',
  upstream_id: 'msg_01X',
  total_cost: 0.021936,
  cache_discount: 0.1107,
  created_at: '2026-11-20T10:00:00.000Z',
  model: 'anthropic/claude-sonnet-4.5',
  app_id: null,
  streamed: true,
  cancelled: false,
  provider_name: 'Anthropic',
  latency: 2400,
  generation_time: 2100,
  finish_reason: 'stop',
  tokens_prompt: 40210,
  tokens_completion: 655,
  native_tokens_prompt: 41012,
  native_tokens_completion: 640,
  native_tokens_reasoning: 200,
  native_tokens_cached: 41000,
  is_byok: false,
};

describe('openrouterFormat', () => {
  it('maps a generation from its native counts: cached inside the prompt, reasoning inside the completion; total_cost kept', () => {
    expect(records(mapOpenRouterUnit({ data: generation }, 1))).toEqual([
      expect.objectContaining({ id: 'gen-1763633400-aBcD', ts: '2026-11-20T10:00:00.000Z', provider: 'openrouter', model: 'anthropic/claude-sonnet-4.5', inputTokens: 12, cacheReadTokens: 41000, outputTokens: 640, reasoningTokens: 200, latencyMs: 2400, costUsd: 0.021936, status: 'ok' }),
    ]);
  });

  it('maps activity rows (a day, a model, summed calls) and a cancelled generation', () => {
    const activity = { data: [{ date: '2026-11-19', model: 'openai/gpt-4.1', model_permaslug: 'openai/gpt-4.1-2025-04-14', endpoint_id: 'ep-1', provider_name: 'OpenAI', usage: 1.25, byok_usage_inference: 0, requests: 41, prompt_tokens: 90210, completion_tokens: 8800, reasoning_tokens: 0 }] };
    expect(records(mapOpenRouterUnit(activity, 1))).toEqual([expect.objectContaining({ id: 'activity:2026-11-19:openai/gpt-4.1-2025-04-14:ep-1', ts: '2026-11-19T00:00:00.000Z', inputTokens: 90210, outputTokens: 8800, costUsd: 1.25 })]);
    expect(records(mapOpenRouterUnit({ ...generation, cancelled: true }, 2))).toEqual([expect.objectContaining({ status: 'error' })]);
  });

  it('reads the activity CSV export row (text cells, normalized token columns)', () => {
    const row = { generation_id: 'gen-9', created_at: '2026-11-20 10:00:00', cost_total: '0.0012', tokens_prompt: '1200', tokens_completion: '80', tokens_reasoning: '0', tokens_cached: '1024', model_permaslug: 'openai/gpt-4o-mini', provider_name: 'OpenAI', cancelled: 'false', app_name: 'shop', generation_time_ms: '640' };
    expect(records(mapOpenRouterUnit(row, 2))).toEqual([expect.objectContaining({ id: 'gen-9', model: 'openai/gpt-4o-mini', inputTokens: 176, cacheReadTokens: 1024, outputTokens: 80, costUsd: 0.0012, project: 'shop' })]);
  });

  it('reports cached counts larger than the prompt', () => {
    expect(records(mapOpenRouterUnit({ ...generation, native_tokens_cached: 50000 }, 3))).toEqual([expect.stringMatching(/exceed the prompt tokens/)]);
  });

  it('is detected by generations, activity rows, API envelopes and the CSV header', () => {
    const json = (values: unknown[]) => ({ framing: 'json' as const, lines: [], head: '', values });
    expect(openrouterFormat.detect(json([{ data: generation }]))).toBe(0.97);
    expect(openrouterFormat.detect(json([{ date: 'd', model_permaslug: 'm', prompt_tokens: 1, requests: 1 }]))).toBe(0.95);
    expect(openrouterFormat.detect({ framing: 'csv', lines: [], head: '', values: [], csvHeader: ['generation_id', 'created_at', 'cost_total', 'tokens_prompt'] })).toBe(0.95);
    expect(openrouterFormat.detect(json([{ id: 'chatcmpl-1', usage: {} }]))).toBe(0);
  });
});
