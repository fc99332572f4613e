import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnthropicAdminClient } from '../../src/connectors/anthropic-admin-client.js';
import { createOpenAiAdminClient } from '../../src/connectors/openai-admin-client.js';
import type { FetchContext } from '../../src/connectors/provider-client.js';
import type { RetryPolicy } from '../../src/connectors/provider-http.js';
import type { FakeAdminApi } from './fake-admin-api-server.js';
import { anthropicCost, anthropicUsage, startFakeAnthropicAdminApi } from './fake-anthropic-admin-api.js';
import { openAiCost, openAiUsage, startFakeOpenAiAdminApi } from './fake-openai-admin-api.js';

/**
 * The provider clients against fake admin APIs written from the providers' references: every page
 * read, units converted (OpenAI's input includes the cached tokens; Anthropic's cost is cents as a
 * string), 429 and 5xx tried again (Retry-After honoured), a refused key a typed error, and a
 * wait ended at once by the signal.
 */
const RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 5000 };
const window = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-06T00:00:00Z') };
const context = (adminKey: string, signal = new AbortController().signal): FetchContext => ({ adminKey, window, signal, retry: RETRY });

describe('OpenAI admin client', () => {
  let fake: FakeAdminApi;
  beforeAll(async () => {
    fake = await startFakeOpenAiAdminApi();
    fake.keys.add('sk-admin-good');
    for (const day of ['2026-11-01', '2026-11-03', '2026-11-05']) {
      fake.usage.set(day, [openAiUsage({ model: 'gpt-4o', input: 1000, cached: 400, output: 50, requests: 3, projectId: 'proj_a', apiKeyId: 'key_1' }), openAiUsage({ model: 'gpt-4o-mini', input: 10, output: 5, requests: 1, batch: true })]);
      fake.costs.set(day, [openAiCost({ usd: 1.25, lineItem: 'gpt-4o, input', projectId: 'proj_a' })]);
    }
  });
  afterAll(() => fake.close());

  it('reads every page, with input tokens net of the cached ones', async () => {
    fake.pageSize = 2;
    fake.requests.length = 0;
    const { buckets } = await createOpenAiAdminClient(fake.url).fetchBuckets(context('sk-admin-good'));
    // 5 days at 2 a page: 3 pages each of usage and costs.
    expect(fake.requests.map((r) => r.path)).toEqual([...Array(3).fill('/v1/organization/usage/completions'), ...Array(3).fill('/v1/organization/costs')]);
    expect(fake.requests[0]!.query.getAll('group_by')).toEqual(['model', 'project_id', 'api_key_id', 'batch']);
    const usage = buckets.filter((b) => b.kind === 'usage');
    expect(usage).toHaveLength(6);
    expect(usage[0]).toMatchObject({ bucketStart: new Date('2026-11-01T00:00:00Z'), model: 'gpt-4o', projectId: 'proj_a', apiKeyId: 'key_1', batch: 'false', inputTokens: 600, cacheReadTokens: 400, outputTokens: 50, requests: 3, costUsd: null });
    expect(usage[1]).toMatchObject({ model: 'gpt-4o-mini', batch: 'true', inputTokens: 10 });
    const costs = buckets.filter((b) => b.kind === 'cost');
    expect(costs.map((c) => c.costUsd)).toEqual([1.25, 1.25, 1.25]);
    expect(costs[0]).toMatchObject({ lineItem: 'gpt-4o, input', projectId: 'proj_a', currency: 'usd' });
  });

  it('waits out 429s and 5xx (Retry-After honoured) and then succeeds', async () => {
    fake.pageSize = 31;
    fake.scripted.push({ status: 429, retryAfter: '0' }, { status: 503 }, { status: 429 });
    fake.requests.length = 0;
    const { buckets } = await createOpenAiAdminClient(fake.url).fetchBuckets(context('sk-admin-good'));
    expect(fake.requests.map((r) => r.status)).toEqual([429, 503, 429, 200, 200]);
    expect(buckets.filter((b) => b.kind === 'usage')).toHaveLength(6);
  });

  it('gives up on a provider that keeps failing, as CONNECTOR_PROVIDER_UNAVAILABLE', async () => {
    fake.scripted.push(...Array(RETRY.maxAttempts).fill({ status: 500 }));
    await expect(createOpenAiAdminClient(fake.url).fetchBuckets(context('sk-admin-good'))).rejects.toMatchObject({ code: 'CONNECTOR_PROVIDER_UNAVAILABLE' });
  });

  it('refuses a rejected key as CONNECTOR_KEY_REJECTED, without retrying', async () => {
    fake.requests.length = 0;
    await expect(createOpenAiAdminClient(fake.url).fetchBuckets(context('sk-admin-revoked'))).rejects.toMatchObject({ code: 'CONNECTOR_KEY_REJECTED' });
    expect(fake.requests).toHaveLength(1);
  });

  it('stops waiting when aborted mid-backoff (an hour-long Retry-After), with the abort\'s reason', async () => {
    fake.scripted.push({ status: 429, retryAfter: '3600' });
    const controller = new AbortController();
    const fetching = createOpenAiAdminClient(fake.url).fetchBuckets({ ...context('sk-admin-good', controller.signal), retry: { ...RETRY, maxDelayMs: 60_000 } });
    setTimeout(() => controller.abort(new Error('shutdown')), 100);
    await expect(fetching).rejects.toThrow('shutdown');
  });
});

describe('Anthropic admin client', () => {
  let fake: FakeAdminApi;
  beforeAll(async () => {
    fake = await startFakeAnthropicAdminApi();
    fake.keys.add('sk-ant-admin-good');
    fake.usage.set('2026-11-02', [anthropicUsage({ model: 'claude-sonnet-4-5', uncached: 120, cacheRead: 5000, cache5m: 300, cache1h: 200, output: 80, workspaceId: 'wrkspc_1', apiKeyId: 'apikey_1' })]);
    fake.costs.set('2026-11-02', [
      anthropicCost({ cents: '123.45', description: 'Claude Sonnet 4.5 Usage - Input Tokens', model: 'claude-sonnet-4-5', workspaceId: 'wrkspc_1' }),
      anthropicCost({ cents: '0.5', description: 'Claude Sonnet 4.5 Usage - Output Tokens', model: 'claude-sonnet-4-5', workspaceId: 'wrkspc_1' }),
    ]);
  });
  afterAll(() => fake.close());

  it('reads every page with the documented headers; cents strings become dollars', async () => {
    fake.pageSize = 2;
    fake.requests.length = 0;
    const { buckets } = await createAnthropicAdminClient(fake.url).fetchBuckets(context('sk-ant-admin-good'));
    expect(fake.requests.filter((r) => r.path === '/v1/organizations/usage_report/messages')).toHaveLength(3);
    expect(fake.requests[0]!.query.getAll('group_by[]')).toEqual(['model', 'api_key_id', 'workspace_id', 'service_tier']);
    expect(buckets.filter((b) => b.kind === 'usage')).toEqual([
      expect.objectContaining({ bucketStart: new Date('2026-11-02T00:00:00Z'), model: 'claude-sonnet-4-5', projectId: 'wrkspc_1', apiKeyId: 'apikey_1', serviceTier: 'standard', inputTokens: 120, cacheReadTokens: 5000, cacheWriteTokens: 500, outputTokens: 80 }),
    ]);
    const costs = buckets.filter((b) => b.kind === 'cost');
    expect(costs.map((c) => [c.lineItem, c.costUsd, c.currency])).toEqual([
      ['Claude Sonnet 4.5 Usage - Input Tokens', 1.2345, 'usd'],
      ['Claude Sonnet 4.5 Usage - Output Tokens', 0.005, 'usd'],
    ]);
  });

  it('waits out a 429 then succeeds; a wrong key is CONNECTOR_KEY_REJECTED', async () => {
    fake.pageSize = 31;
    fake.scripted.push({ status: 429, retryAfter: '0' });
    fake.requests.length = 0;
    await createAnthropicAdminClient(fake.url).fetchBuckets(context('sk-ant-admin-good'));
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200, 200]);
    await expect(createAnthropicAdminClient(fake.url).fetchBuckets(context('sk-ant-admin-bad'))).rejects.toMatchObject({ code: 'CONNECTOR_KEY_REJECTED' });
  });

  it('refuses a cost amount that is not a decimal string, rather than storing a wrong bill', async () => {
    fake.costs.set('2026-11-04', [{ ...anthropicCost({ cents: '1', description: 'x' }), amount: 12.5 }]);
    await expect(createAnthropicAdminClient(fake.url).fetchBuckets(context('sk-ant-admin-good'))).rejects.toMatchObject({ code: 'CONNECTOR_PROVIDER_INVALID' });
    fake.costs.delete('2026-11-04');
  });
});
