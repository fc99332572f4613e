import { describe, expect, it } from 'vitest';
import { createRestClient } from './rest-client.js';

/** The reconciliation routes as the SDK calls them: paths, query, body, and a bad range refused before any request. */
describe('rest.reconciliation', () => {
  it('reads the comparison and the sources, and sets a source', async () => {
    const calls: Array<{ url: string; method: string; body: unknown }> = [];
    const sources = { sources: [{ provider: 'openai', setting: 'billing', updatedBy: null, updatedAt: null }] };
    const answers = [{ from: '2026-11-01T00:00:00.000Z', to: null, hasBilling: false, providers: [], days: [], lines: [], causes: [] }, sources, sources];
    const fetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, method: init.method ?? 'GET', body: init.body === undefined ? undefined : JSON.parse(String(init.body)) });
      return new Response(JSON.stringify(answers.shift()), { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const rest = createRestClient({ baseUrl: 'http://x', fetch, getAccessToken: () => 't' });
    expect((await rest.reconciliation.reconciliation('w1', { from: '2026-11-01T00:00:00Z' })).hasBilling).toBe(false);
    expect(await rest.reconciliation.usageSources('w1')).toEqual(sources);
    await rest.reconciliation.setUsageSource('w1', 'openai', 'billing');
    expect(calls).toEqual([
      { url: 'http://x/v1/workspaces/w1/reconciliation?from=2026-11-01T00%3A00%3A00Z', method: 'GET', body: undefined },
      { url: 'http://x/v1/workspaces/w1/usage-sources', method: 'GET', body: undefined },
      { url: 'http://x/v1/workspaces/w1/usage-sources', method: 'PUT', body: { provider: 'openai', setting: 'billing' } },
    ]);
    await expect(rest.reconciliation.reconciliation('w1', { from: 'yesterday' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(calls).toHaveLength(3);
  });
});
