import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, TallyApiError, type RestClient } from '@tally/client';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * GET /v1/workspaces/:workspaceId/usage/requests and .../call-stats through the client: the workspace's calls
 * only, filters and pages as asked, bad queries refused with VALIDATION_FAILED. (Each engine's
 * figures are checked by the explorer contract, test/usage/usage-explorer.test.ts.)
 */
const embedded = engineSetups().find((e) => e.name === 'embedded')!;
const line = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: `r${i}`, ts: `2026-05-0${1 + (i % 3)}T10:00:0${i}Z`, provider: 'openai', model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini', feature: i % 3 ? 'chat' : 'search', user: i < 4 ? 'team-a' : 'team-b', inputTokens: 1000, outputTokens: 100, latencyMs: 100 * (i + 1), ...extra });

describe('usage explorer routes', () => {
  let server: TestApp;
  let owner: RestClient;
  let stranger: RestClient;
  let strangerToken: string;
  let ownerWs: string;
  let strangerWs: string;
  beforeAll(async () => {
    server = await startTestApp({ engine: embedded });
    const a = await signUp(server.baseUrl, 'explorer');
    const b = await signUp(server.baseUrl, 'explorer-other');
    strangerToken = b.token;
    ownerWs = a.userId;
    strangerWs = b.userId;
    owner = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => a.token });
    stranger = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => b.token });
    const body = [...Array.from({ length: 8 }, (_, i) => line(i)), line(8, { status: 'error' })].join('\n');
    expect((await owner.uploadUsage(ownerWs, body)).inserted).toBe(9);
    expect((await stranger.uploadUsage(strangerWs, line(0, { id: 'theirs', user: 'team-a' }))).inserted).toBe(1);
  });
  afterAll(async () => server?.close());

  it("pages the owner's calls newest first, filtered, and never another user's", async () => {
    const first = await owner.usageRequests(ownerWs, {}, { limit: 4 });
    expect(first.total).toBe(9);
    expect(first.requests).toHaveLength(4);
    const times = first.requests.map((r) => r.ts);
    expect([...times].sort().reverse()).toEqual(times);
    const rest4 = await owner.usageRequests(ownerWs, {}, { limit: 4, offset: 4 });
    expect(new Set([...times, ...rest4.requests.map((r) => r.ts)]).size).toBe(8);

    const narrow = await owner.usageRequests(ownerWs, { models: ['gpt-4o'], users: ['team-b'], statuses: ['ok'] });
    expect(narrow.requests.map((r) => [r.model, r.user, r.status])).toEqual(narrow.requests.map(() => ['gpt-4o', 'team-b', 'ok']));
    expect(narrow.total).toBe(2); // r5, r7
    expect((await owner.usageRequests(ownerWs, { statuses: ['error'] })).requests.map((r) => r.latencyMs)).toEqual([900]);

    const theirs = await stranger.usageRequests(strangerWs);
    expect(theirs.total).toBe(1);
    expect(theirs.requests[0]).toMatchObject({ user: 'team-a', latencyMs: 100 });
  });

  it('gives latency percentiles per model and spend per user label of the matching calls', async () => {
    const stats = await owner.usageCallStats(ownerWs, { statuses: ['ok'] });
    // gpt-4o: r1, r3, r5, r7 (200, 400, 600, 800 ms); gpt-4o-mini: r0, r2, r4, r6 (100 … 700 ms).
    expect(stats.latencyByModel).toEqual([
      { model: 'gpt-4o', calls: 4, p50Ms: 500, p95Ms: 770 },
      { model: 'gpt-4o-mini', calls: 4, p50Ms: 400, p95Ms: 670 },
    ]);
    expect(stats.byUser.map((u) => [u.user, u.requests])).toEqual([
      ['team-a', 4],
      ['team-b', 4],
    ]);
    expect(stats.byUser.reduce((sum, u) => sum + u.share, 0)).toBeCloseTo(1, 5);
    expect((await stranger.usageCallStats(strangerWs)).byUser).toEqual([expect.objectContaining({ user: 'team-a', requests: 1 })]);
  });

  it('refuses a bad status, page size, offset or window with VALIDATION_FAILED, from the client and on the wire', async () => {
    for (const ask of [
      () => owner.usageRequests(ownerWs, {}, { limit: 1000 }),
      () => owner.usageRequests(ownerWs, {}, { offset: -1 }),
      () => owner.usageRequests(ownerWs, { from: '2026-05-03T00:00:00Z', to: '2026-05-01T00:00:00Z' }),
      () => owner.usageCallStats(ownerWs, { from: 'last week' }),
    ]) {
      const error = await ask().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TallyApiError);
      expect((error as TallyApiError).code).toBe('VALIDATION_FAILED');
    }
    for (const query of ['status=lost', 'limit=0', 'limit=abc', 'model=', `model=${'m'.repeat(201)}`, 'sort=cost']) {
      const answer = await rest(server.baseUrl, 'GET', `/v1/workspaces/${strangerWs}/usage/requests?${query}`, { token: strangerToken });
      expect(answer.status, query).toBe(400);
      expect((answer.body as { error: { code: string } }).error.code, query).toBe('VALIDATION_FAILED');
    }
  });
});
