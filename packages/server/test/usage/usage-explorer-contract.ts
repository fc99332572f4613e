import { afterAll, beforeAll, expect, it } from 'vitest';
import { UsageRecordSchema, type UsageRecordInput } from '@tally/protocol';
import { buildCallStats } from '../../src/analysis/call-stats.js';
import { recordKey } from '../../src/usage/record-key.js';
import type { UsageExplorer } from '../../src/usage/usage-explorer.js';
import type { PricedUsageRecord, UsageStore } from '../../src/usage/usage-store.js';

/** One engine under test: its store (to insert), its explorer, owners, cleanup. */
export interface UsageExplorerHarness {
  store: UsageStore;
  explorer: UsageExplorer;
  createOwner(): Promise<string>;
  close(): Promise<void>;
}

function priced(input: UsageRecordInput, costUsd: number | null): PricedUsageRecord {
  const record = UsageRecordSchema.parse(input);
  return { record, key: recordKey(record), costUsd };
}

const base = { provider: 'openai', model: 'gpt-4o', inputTokens: 100, outputTokens: 10 } as const;

/** Eight calls over two days, with every dimension the explorer filters on varied. */
const CALLS: Array<[UsageRecordInput, number | null]> = [
  [{ ...base, id: 'c1', ts: '2026-09-01T10:00:00.000Z', user: 'alice', feature: 'chat', latencyMs: 10 }, 0.01],
  [{ ...base, id: 'c2', ts: '2026-09-01T11:00:00.000Z', user: 'alice', feature: 'chat', latencyMs: 20, cacheReadTokens: 50, cacheWrite1hTokens: 7 }, 0.02],
  [{ ...base, id: 'c3', ts: '2026-09-01T12:00:00.000Z', user: 'bob', feature: 'search', latencyMs: 30, status: 'error' }, 0.03],
  [{ ...base, id: 'c4', ts: '2026-09-02T09:00:00.000Z', user: 'bob', feature: 'search', latencyMs: 40, reasoningTokens: 4 }, 0.04],
  [{ ...base, id: 'c5', ts: '2026-09-02T10:00:00.000Z', feature: 'chat' }, 0.05],
  [{ ...base, id: 'c6', ts: '2026-09-02T11:00:00.000Z', provider: 'anthropic', model: 'claude-sonnet-4-5', user: 'alice', latencyMs: 100, attempt: 2, status: 'timeout' }, 0.1],
  [{ ...base, id: 'c7', ts: '2026-09-02T12:00:00.000Z', provider: 'anthropic', model: 'claude-sonnet-4-5', user: 'alice', latencyMs: 300 }, 0.3],
  [{ ...base, id: 'c8', ts: '2026-09-02T12:00:00.000Z', model: 'mystery-model', user: 'carol' }, null],
];

/**
 * The behaviour every UsageExplorer must have, with the same figures on every engine. Registers
 * its tests in the caller's describe block.
 */
export function usageExplorerContract(open: () => Promise<UsageExplorerHarness>): void {
  let h: UsageExplorerHarness;
  let owner: string;
  let stranger: string;
  beforeAll(async () => {
    h = await open();
    owner = await h.createOwner();
    stranger = await h.createOwner();
    await h.store.insert(owner, CALLS.map(([r, cost]) => priced(r, cost)));
    // Another owner's call at the same time, with the same labels: never seen by `owner`.
    await h.store.insert(stranger, [priced({ ...base, id: 'x1', ts: '2026-09-02T12:00:00.000Z', user: 'alice', latencyMs: 5 }, 9)]);
  });
  afterAll(async () => {
    await h?.close();
  });

  const ids = (page: { requests: Array<{ ts: string; model: string }> }) => page.requests.map((r) => `${r.ts.slice(8, 13)} ${r.model}`);

  it('pages the calls newest first (ties by key), with the total, every field as stored', async () => {
    const first = await h.explorer.requestPage(owner, { filters: {}, limit: 3, offset: 0 });
    expect(first.total).toBe(8);
    expect(first.offset).toBe(0);
    // c7 and c8 share a time: by record key, which is the record's id.
    expect(ids(first)).toEqual(['02T12 claude-sonnet-4-5', '02T12 mystery-model', '02T11 claude-sonnet-4-5']);
    expect(first.requests[2]).toEqual({
      ts: '2026-09-02T11:00:00.000Z',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      project: 'default',
      feature: 'default',
      user: 'alice',
      status: 'timeout',
      inputTokens: 100,
      outputTokens: 10,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      reasoningTokens: 0,
      costUsd: 0.1,
      latencyMs: 100,
      attempt: 2,
    });
    const last = await h.explorer.requestPage(owner, { filters: {}, limit: 3, offset: 6 });
    expect(ids(last)).toEqual(['01T11 gpt-4o', '01T10 gpt-4o']);
    expect(last.requests[0]).toMatchObject({ cacheReadTokens: 50, cacheWrite1hTokens: 7, user: 'alice', feature: 'chat' });
    expect((await h.explorer.requestPage(owner, { filters: {}, limit: 3, offset: 8 })).requests).toEqual([]);
    const unknown = await h.explorer.requestPage(owner, { filters: { models: ['mystery-model'] }, limit: 5, offset: 0 });
    expect(unknown.requests[0]).toMatchObject({ costUsd: null, latencyMs: null, user: 'carol' });
  });

  it('filters by time, model, feature, provider, user and status, together', async () => {
    const page = (filters: Parameters<UsageExplorer['requestPage']>[1]['filters']) => h.explorer.requestPage(owner, { filters, limit: 50, offset: 0 });
    expect((await page({ from: '2026-09-01T11:00:00Z', to: '2026-09-02T10:00:00Z' })).total).toBe(3);
    expect((await page({ features: ['search'] })).total).toBe(2);
    expect((await page({ providers: ['anthropic'] })).total).toBe(2);
    expect((await page({ users: ['alice', 'carol'] })).total).toBe(5);
    expect((await page({ statuses: ['error', 'timeout'] })).total).toBe(2);
    expect(ids(await page({ models: ['gpt-4o'], users: ['bob'], statuses: ['ok'] }))).toEqual(['02T09 gpt-4o']);
    expect((await page({ users: ['nobody'] })).total).toBe(0);
  });

  it('gives latency percentiles per model as percentile_cont, over calls that reported one', async () => {
    const stats = buildCallStats(await h.explorer.latencyByModel(owner, {}), []);
    expect(stats.latencyByModel).toEqual([
      { model: 'claude-sonnet-4-5', calls: 2, p50Ms: 200, p95Ms: 290 },
      // 10, 20, 30, 40: p50 halfway between 20 and 30; p95 at 2.85 of 3 steps: 30 + 0.85 * 10.
      { model: 'gpt-4o', calls: 4, p50Ms: 25, p95Ms: 38.5 },
    ]);
    const ok = buildCallStats(await h.explorer.latencyByModel(owner, { statuses: ['ok'], models: ['gpt-4o'] }), []);
    expect(ok.latencyByModel).toEqual([{ model: 'gpt-4o', calls: 3, p50Ms: 20, p95Ms: 38 }]);
  });

  it('sums spend per user label, calls without one apart, unpriced calls counted but not costed', async () => {
    const stats = buildCallStats([], await h.explorer.spendByUser(owner, {}));
    expect(stats.byUser).toEqual([
      { user: 'alice', requests: 4, costUsd: 0.43, share: expect.closeTo(0.43 / 0.55, 6) },
      { user: 'bob', requests: 2, costUsd: 0.07, share: expect.closeTo(0.07 / 0.55, 6) },
      { user: null, requests: 1, costUsd: 0.05, share: expect.closeTo(0.05 / 0.55, 6) },
      { user: 'carol', requests: 1, costUsd: 0, share: 0 },
    ]);
  });

  it("never shows another owner's calls", async () => {
    const theirs = await h.explorer.requestPage(stranger, { filters: {}, limit: 50, offset: 0 });
    expect(theirs.total).toBe(1);
    expect(theirs.requests[0]).toMatchObject({ latencyMs: 5, costUsd: 9 });
    expect(await h.explorer.latencyByModel(stranger, { models: ['claude-sonnet-4-5'] })).toEqual([]);
    const nobody = await h.createOwner();
    expect(await h.explorer.requestPage(nobody, { filters: {}, limit: 10, offset: 0 })).toEqual({ total: 0, offset: 0, requests: [] });
    expect(await h.explorer.latencyByModel(nobody, {})).toEqual([]);
    expect(await h.explorer.spendByUser(nobody, {})).toEqual([]);
  });
}
