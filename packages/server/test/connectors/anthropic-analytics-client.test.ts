import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANTHROPIC_LEGACY_REPORTS } from '../../src/connectors/anthropic-admin-client.js';
import { ANALYTICS_BETA, ANTHROPIC_ANALYTICS_API, createAnthropicAnalyticsClient } from '../../src/connectors/anthropic-analytics-client.js';
import { createAnthropicClient } from '../../src/connectors/anthropic-client.js';
import type { FetchContext } from '../../src/connectors/provider-client.js';
import type { RetryPolicy } from '../../src/connectors/provider-http.js';
import { anthropicCost, anthropicUsage } from './fake-anthropic-admin-api.js';
import { analyticsCost, analyticsUsage, startFakeAnthropicApi, type FakeAnthropicApi } from './fake-anthropic-analytics-api.js';

/**
 * Anthropic's Usage and Cost Analytics API client against a fake written from Anthropic's
 * reference: rows (not buckets) across pages, the beta header, cents strings to dollars (the
 * billed, post-discount amount, never the list price), requests counted on usage rows only, a
 * 429 waited out, windows cut at 31 days; and the connector's fallback to the legacy reports on
 * 404/403 only, every figure from the one API that answered.
 */
const RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 5000 };
const window = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-06T00:00:00Z') };
const context = (adminKey: string, w = window): FetchContext => ({ adminKey, window: w, signal: new AbortController().signal, retry: RETRY });
const ANALYTICS = ['/v1/organizations/analytics/usage', '/v1/organizations/analytics/cost'];

describe('Anthropic Usage and Cost Analytics client', () => {
  let fake: FakeAnthropicApi;
  beforeAll(async () => {
    fake = await startFakeAnthropicApi();
    fake.keys.add('sk-ant-admin-good');
    for (const day of ['2026-11-02', '2026-11-04']) {
      fake.analyticsUsage.set(day, [
        analyticsUsage({ model: 'claude-sonnet-4-5', uncached: 120, cacheRead: 5000, cache5m: 300, cache1h: 200, output: 80, requests: 7, workspaceId: 'wrkspc_1', apiKeyId: 'apikey_1' }),
        analyticsUsage({ model: 'claude-haiku-4-5', uncached: 10, output: 5, requests: 1 }),
      ]);
      fake.analyticsCosts.set(day, [
        analyticsCost({ cents: '123.4567', listCents: '150', costType: 'tokens', tokenType: 'uncached_input_tokens', model: 'claude-sonnet-4-5', workspaceId: 'wrkspc_1' }),
        analyticsCost({ cents: '0.5', listCents: '0.5', costType: 'web_search', model: 'claude-sonnet-4-5', workspaceId: 'wrkspc_1' }),
      ]);
    }
    // The legacy reports hold other figures for the same days: only one API's may be read.
    fake.usage.set('2026-11-02', [anthropicUsage({ model: 'claude-sonnet-4-5', uncached: 999, output: 999 })]);
    fake.costs.set('2026-11-02', [anthropicCost({ cents: '99900', description: 'Claude Sonnet 4.5 Usage - Input Tokens' })]);
  });
  afterAll(() => fake.close());

  it('reads every page of rows with the documented headers and parameters; amount (billed) cents become dollars', async () => {
    fake.pageSize = 2;
    fake.requests.length = 0;
    const { buckets, sourceApi } = await createAnthropicAnalyticsClient(fake.url).fetchBuckets(context('sk-ant-admin-good'));
    expect(sourceApi).toBe(ANTHROPIC_ANALYTICS_API);
    expect(fake.requests.map((r) => [r.path, r.status])).toEqual([
      ...Array(3).fill(['/v1/organizations/analytics/usage', 200]),
      ...Array(3).fill(['/v1/organizations/analytics/cost', 200]),
    ]);
    const first = fake.requests[0]!.query;
    expect([first.get('starting_at'), first.get('ending_at'), first.get('time_bucket_width')]).toEqual(['2026-11-01T00:00:00.000Z', '2026-11-06T00:00:00.000Z', '1d']);
    expect(first.getAll('group_by[]')).toEqual(['model', 'api_key_id', 'workspace_id', 'service_tier']);
    expect(fake.requests[1]!.query.get('page')).not.toBeNull();

    const usage = buckets.filter((b) => b.kind === 'usage');
    expect(usage).toHaveLength(4);
    expect(usage[0]).toEqual(expect.objectContaining({ bucketWidth: '1d', bucketStart: new Date('2026-11-02T00:00:00Z'), model: 'claude-sonnet-4-5', projectId: 'wrkspc_1', apiKeyId: 'apikey_1', serviceTier: 'standard', requests: 7, inputTokens: 120, cacheReadTokens: 5000, cacheWriteTokens: 500, outputTokens: 80, costUsd: null, lineItem: '' }));
    const costs = buckets.filter((b) => b.kind === 'cost');
    expect(costs.map((c) => [c.bucketStart.toISOString().slice(0, 10), c.lineItem, c.costUsd, c.currency, c.requests, c.inputTokens])).toEqual([
      ['2026-11-02', 'tokens uncached_input_tokens', 1.234567, 'usd', 0, 0],
      ['2026-11-02', 'web_search', 0.005, 'usd', 0, 0],
      ['2026-11-04', 'tokens uncached_input_tokens', 1.234567, 'usd', 0, 0],
      ['2026-11-04', 'web_search', 0.005, 'usd', 0, 0],
    ]);
  });

  it('waits out a 429 then succeeds', async () => {
    fake.pageSize = 31;
    fake.scripted.push({ status: 429, retryAfter: '0' });
    fake.requests.length = 0;
    const { buckets } = await createAnthropicAnalyticsClient(fake.url).fetchBuckets(context('sk-ant-admin-good'));
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200, 200]);
    expect(buckets).toHaveLength(8);
  });

  it('cuts a window longer than 31 days into pieces the API accepts', async () => {
    fake.requests.length = 0;
    const long = { from: new Date('2026-09-01T00:00:00Z'), to: new Date('2026-11-06T00:00:00Z') }; // 66 days
    const { buckets } = await createAnthropicAnalyticsClient(fake.url).fetchBuckets(context('sk-ant-admin-good', long));
    const usageCalls = fake.requests.filter((r) => r.path === ANALYTICS[0] && !r.query.has('page'));
    expect(usageCalls.map((r) => [r.query.get('starting_at')!.slice(0, 10), r.query.get('ending_at')!.slice(0, 10), r.status])).toEqual([
      ['2026-09-01', '2026-10-02', 200],
      ['2026-10-02', '2026-11-02', 200],
      ['2026-11-02', '2026-11-06', 200],
    ]);
    expect(buckets).toHaveLength(8);
  });

  it('refuses a row that is not one UTC day rather than storing a range total as one day', async () => {
    // A server that ignored the bucket width would answer one row for the whole range.
    fake.analyticsUsage.set('2026-11-05', [{ ...analyticsUsage({ model: 'claude-sonnet-4-5', uncached: 1, output: 1, requests: 1 }), bounds: { starting_at: '2026-11-01T00:00:00Z', ending_at: '2026-11-06T00:00:00Z' } }]);
    try {
      await expect(createAnthropicAnalyticsClient(fake.url).fetchBuckets(context('sk-ant-admin-good'))).rejects.toMatchObject({ code: 'CONNECTOR_PROVIDER_INVALID', message: expect.stringContaining('is not one UTC day') });
    } finally {
      fake.analyticsUsage.delete('2026-11-05');
    }
  });

  it('the connector reads the Analytics API when it answers, and nothing of the legacy reports', async () => {
    fake.requests.length = 0;
    const { buckets, sourceApi } = await createAnthropicClient(fake.url).fetchBuckets(context('sk-ant-admin-good'));
    expect(sourceApi).toBe(ANTHROPIC_ANALYTICS_API);
    expect(new Set(fake.requests.map((r) => r.path))).toEqual(new Set(ANALYTICS));
    expect(buckets.some((b) => b.inputTokens === 999 || b.costUsd === 999)).toBe(false);
  });

  it('falls back to the legacy reports when the Analytics API answers 404 (not enabled for the org)', async () => {
    fake.analytics = 'absent';
    fake.requests.length = 0;
    try {
      const { buckets, sourceApi } = await createAnthropicClient(fake.url).fetchBuckets(context('sk-ant-admin-good'));
      expect(sourceApi).toBe(ANTHROPIC_LEGACY_REPORTS);
      expect(fake.requests.map((r) => [r.path, r.status])).toEqual([
        ['/v1/organizations/analytics/usage', 404],
        ['/v1/organizations/usage_report/messages', 200],
        ['/v1/organizations/cost_report', 200],
      ]);
      expect(buckets.map((b) => [b.kind, b.inputTokens, b.costUsd])).toEqual([
        ['usage', 999, null],
        ['cost', 0, 999],
      ]);
    } finally {
      fake.analytics = 'enabled';
    }
  });

  it('falls back on 403 (the key lacks the API); a refused key (401) and a 400 are not hidden by a fallback', async () => {
    fake.requests.length = 0;
    fake.scripted.push({ status: 403 });
    expect((await createAnthropicClient(fake.url).fetchBuckets(context('sk-ant-admin-good'))).sourceApi).toBe(ANTHROPIC_LEGACY_REPORTS);
    expect(fake.requests[0]!.status).toBe(403);

    fake.requests.length = 0;
    await expect(createAnthropicClient(fake.url).fetchBuckets(context('sk-ant-admin-bad'))).rejects.toMatchObject({ code: 'CONNECTOR_KEY_REJECTED' });
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/organizations/analytics/usage']);

    fake.requests.length = 0;
    fake.scripted.push({ status: 400 });
    await expect(createAnthropicClient(fake.url).fetchBuckets(context('sk-ant-admin-good'))).rejects.toMatchObject({ code: 'CONNECTOR_PROVIDER_INVALID' });
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/organizations/analytics/usage']);
  });

  it('sends the beta header the reference names', () => {
    expect(ANALYTICS_BETA).toBe('analytics-usage-cost-2026-08-24');
  });
});
