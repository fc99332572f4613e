import crypto from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { createLivePriceCatalog, type LivePriceCatalog } from '../../src/pricing/live-price-catalog.js';
import { setPriceOverride, setProviderDiscount } from '../../src/pricing/price-settings.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';

/**
 * A node on PostgreSQL without Redis hears of no one: a price change another process writes to
 * the same database (`tally prices` beside the server) reaches it by polling, without a restart,
 * removals included.
 */
const postgresUrl = inject('postgresUrl');

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl! });
  await client.connect();
  await client.query(statement).finally(() => client.end());
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(check()).toBe(true);
}

describe.skipIf(!postgresUrl)('prices on PostgreSQL without Redis', () => {
  const name = `prices_poll_${crypto.randomBytes(5).toString('hex')}`;
  let node: Db;
  let cli: Db;
  let live: LivePriceCatalog;

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`);
    const url = new URL(postgresUrl!);
    url.pathname = `/${name}`;
    node = (await openDatabase({ url: url.toString(), dataDir: os.tmpdir() })).db;
    cli = (await openDatabase({ url: url.toString(), dataDir: os.tmpdir() })).db;
    await migrateToLatest(node);
    live = await createLivePriceCatalog({ db: node, bus: createMemoryBus(), pollEveryMs: 100 });
  });

  afterAll(async () => {
    await live?.close();
    await node?.destroy();
    await cli?.destroy();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('picks up an override, a discount and their removal written by another process', { timeout: 60_000 }, async () => {
    const call = { model: 'gpt-4o', provider: 'openai', at: new Date('2026-01-01T00:00:00Z'), inputTokens: 1_000_000, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, batch: false };
    const list = live.priceCall(call)!;
    expect(list).toBeCloseTo(2.5, 9);

    await setProviderDiscount(cli, 'openai', 20);
    await until(() => Math.abs(live.priceCall(call)! - list * 0.8) < 1e-9);

    await setPriceOverride(cli, { model: 'an-in-house-model', inputPerMTok: 0.5, outputPerMTok: 1 });
    await until(() => live.priceCall({ ...call, model: 'an-in-house-model', provider: null }) !== null);

    await setProviderDiscount(cli, 'openai', 0);
    await until(() => Math.abs(live.priceCall(call)! - list) < 1e-9);
  });
});
