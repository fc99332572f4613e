import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PriceListSchema } from '@tally/protocol';
import { startCluster, type Cluster } from '../support/cluster.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;

/**
 * Prices changed on one `tally serve` process are in force on another at once, without a restart:
 * an override, a discount, and the next upload on the other node priced with them.
 */
describe.skipIf(scale.skipReason !== null)(`prices across two nodes ${scale.skipReason ?? ''}`, () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({ engine: scale, count: 2 });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
  });

  /** The other node's view, polled briefly: the change reaches it over Redis, not with the answer. */
  async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
    let value = await read();
    for (let i = 0; i < 50 && !ok(value); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      value = await read();
    }
    return value;
  }

  it('an override and a discount set on node A price uploads on node B', { timeout: 60_000 }, async () => {
    const [a, b] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const admin = await signUp(a.url, 'cluster-prices-admin');
    const member = await signUp(b.url, 'cluster-prices-member');
    const list = async () => PriceListSchema.parse((await rest(b.url, 'GET', '/v1/prices?model=gpt-4o', { token: member.token })).body);
    expect((await list()).models.find((m) => m.model === 'gpt-4o')).toMatchObject({ inputPerMTok: 2.5 });

    expect((await rest(a.url, 'PUT', '/v1/admin/prices', { token: admin.token, json: { model: 'acme-9000', inputPerMTok: 4, outputPerMTok: 8 } })).status).toBe(200);
    expect((await rest(a.url, 'PUT', '/v1/admin/prices/discounts', { token: admin.token, json: { provider: 'openai', percent: 20 } })).status).toBe(200);
    const seen = await eventually(list, (l) => l.discountsPercent['openai'] === 20 && l.models.some((m) => m.model === 'acme-9000'));
    expect(seen.models.find((m) => m.model === 'gpt-4o')).toMatchObject({ inputPerMTok: 2, discountPercent: 20 });
    expect(seen.models.find((m) => m.model === 'acme-9000')).toMatchObject({ source: 'override', inputPerMTok: 4, outputPerMTok: 8 });

    // Node B's ingest prices with them: $4 + $8 for the override, $2.50 x 0.8 for gpt-4o.
    const lines = [
      { id: 'p1', ts: '2026-11-20T10:00:00Z', model: 'acme-9000', inputTokens: 1_000_000, outputTokens: 1_000_000 },
      { id: 'p2', ts: '2026-11-20T11:00:00Z', model: 'gpt-4o', provider: 'openai', inputTokens: 1_000_000, outputTokens: 0 },
    ];
    const upload = await rest(b.url, 'POST', `/v1/workspaces/${member.userId}/usage`, { token: member.token, body: lines.map((l) => JSON.stringify(l)).join('\n') });
    expect(upload.status).toBe(200);
    const [row] = await cluster.query<{ total: number }>('SELECT sum(cost_usd)::float8 AS total FROM $schema.usage_records WHERE owner_id = $1', [member.userId]);
    expect(row!.total).toBeCloseTo(12 + 2, 9);
  });
});
