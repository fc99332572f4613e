import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { createClient } from '@clickhouse/client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitForUpdate } from '@pydantic/genai-prices';
import { AppError } from '../../../src/app-error.js';
import { createGenaiPriceCatalog, type GenaiPriceCatalog } from '../../../src/pricing/genai-price-catalog.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { migrateToLatest } from '../../../src/store/migrate.js';
import type { PgliteThread } from '../../../src/store/pglite-thread.js';
import { clickHouseSql, identifier } from '../../../src/usage/clickhouse/clickhouse-literals.js';
import { createClickHouseUsageStore } from '../../../src/usage/clickhouse/clickhouse-usage-store.js';
import { createOtlpIngestion, readInTurns, type OtlpIngested, type OtlpIngestion, type OtlpIngestJob } from '../../../src/usage/otlp/otlp-ingestion.js';
import { createOtlpIngestThread, type OtlpIngestThreadDeps } from '../../../src/usage/otlp/otlp-ingest-thread.js';
import { OTLP_TYPES } from '../../../src/usage/otlp/otlp-schema.js';
import { createSqlUsageStore } from '../../../src/usage/sql/sql-usage-store.js';
import type { UsageStoreAccess } from '../../../src/usage/usage-store-access.js';
import { newEmbeddedDataDir } from '../../support/pglite-template.js';
import { uniqueName } from '../../support/services.js';
import { insertAccount } from '../../support/test-accounts.js';

/**
 * The OTLP ingest thread: it reads export requests and stores their calls over its own way to
 * the store, so it is tested against real stores (an embedded database with its database thread,
 * PostgreSQL and ClickHouse from the real-services fixture), and against the same ingestion run
 * in-process over the node's own store: both store the same records.
 */
const postgresUrl = inject('postgresUrl');
const clickhouseUrl = inject('clickhouseUrl');
const prices = createGenaiPriceCatalog();
const allowed = Promise.resolve();

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number) => ({ key, value: { intValue: value } });

/** Two GenAI spans and one span that is no call (no counts); the second call has no model. */
function traces(): Buffer {
  const span = (i: number, attributes: object[]) => ({
    traceId: Buffer.alloc(16, i),
    spanId: Buffer.alloc(8, i),
    name: 'chat',
    startTimeUnixNano: String(1767000000123000000n + BigInt(i) * 1_000_000_000n),
    endTimeUnixNano: String(1767000000923000000n + BigInt(i) * 1_000_000_000n),
    attributes,
  });
  const { request } = OTLP_TYPES.traces;
  const message = request.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', 'svc')] },
        scopeSpans: [
          {
            spans: [
              span(1, [str('gen_ai.request.model', 'gpt-4.1'), str('gen_ai.response.id', 'resp_1'), int('gen_ai.usage.input_tokens', 1200), int('gen_ai.usage.output_tokens', 80)]),
              span(2, [int('gen_ai.usage.input_tokens', 5)]),
              span(3, [str('http.method', 'GET')]),
            ],
          },
        ],
      },
    ],
  });
  return Buffer.from(request.encode(message).finish());
}

/** One GenAI span per model, 1,000 tokens in and 100 out, each its own response id (or all one). */
function calls(models: string[], options: { sameId?: boolean } = {}): Buffer {
  const { request } = OTLP_TYPES.traces;
  const spans = models.map((model, i) => ({
    traceId: Buffer.alloc(16, i + 1),
    spanId: Buffer.alloc(8, i + 1),
    name: 'chat',
    startTimeUnixNano: '1767000000000000000',
    endTimeUnixNano: '1767000000500000000',
    attributes: [str('gen_ai.system', 'openai'), str('gen_ai.request.model', model), str('gen_ai.response.id', `resp_${options.sameId ? 0 : i}`), int('gen_ai.usage.input_tokens', 1000), int('gen_ai.usage.output_tokens', 100)],
  }));
  return Buffer.from(request.encode(request.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] })).finish());
}

const job = (body: Uint8Array, workspaceId: string, extra: Partial<OtlpIngestJob> = {}): OtlpIngestJob => ({
  signal: 'traces',
  encoding: 'protobuf',
  body,
  contentEncoding: undefined,
  maxInflatedBytes: 1024 * 1024,
  workspaceId,
  ...extra,
});

/** What a store holds of a workspace's records, in key order, without what only its storing sets (id, owner, time of ingest). */
async function storedRecords(db: Db, workspaceId: string): Promise<Array<Record<string, unknown>>> {
  const rows = await db.selectFrom('usage_records').selectAll().where('owner_id', '=', workspaceId).orderBy('record_key').execute();
  return rows.map(({ id: _id, owner_id: _owner, ingested_at: _at, ...record }) => record);
}

let dataDir: string;
let db: Db;
let pglite: PgliteThread;
const embedded = (): UsageStoreAccess => ({ engine: 'pglite', port: pglite.connectPort('background') });

beforeAll(async () => {
  dataDir = await newEmbeddedDataDir('tally-otlp-ingest-thread-');
  const opened = await openDatabase({ url: undefined, dataDir });
  db = opened.db;
  pglite = opened.pglite!;
  await migrateToLatest(db);
});

afterAll(async () => {
  await db?.destroy();
  await fs.rm(dataDir, { recursive: true, force: true });
});

/** A new owner of usage records (they reference an account). */
async function newWorkspace(): Promise<string> {
  const id = crypto.randomUUID();
  await insertAccount(db, id);
  return id;
}

describe('the OTLP ingest thread', () => {
  let thread: OtlpIngestion | undefined;
  afterEach(async () => {
    await thread?.close();
    thread = undefined;
  });
  const start = (deps: Partial<OtlpIngestThreadDeps> = {}) => (thread = createOtlpIngestThread({ prices, storeAccess: embedded, ...deps }));

  it('stores a request as the in-process ingestion does over the node`s own store: the same records, the same refusals', async () => {
    const [onThread, inProcess] = [await newWorkspace(), await newWorkspace()];
    const body = traces();
    const fromThread = await start().ingest(job(body, onThread), allowed);
    const here = createOtlpIngestion({ store: createSqlUsageStore(db), read: readInTurns(() => prices) });
    expect(fromThread).toEqual(await here.ingest(job(body, inProcess), allowed));
    expect(fromThread).toMatchObject({ calls: 1, repeated: 0, dataPoints: 0, errors: [expect.stringMatching(/^#2: .*gen_ai.request.model/)] });
    const stored = await storedRecords(db, onThread);
    expect(stored).toEqual(await storedRecords(db, inProcess));
    expect(stored).toEqual([expect.objectContaining({ record_key: 'otlp:id::resp_1', model: 'gpt-4.1', input_tokens: 1200, output_tokens: 80, project: 'svc', cost_usd: expect.any(Number) })]);
  });

  it('tells the node what each merged insert stored and when the workspace`s new records are visible', async () => {
    const workspaceId = await newWorkspace();
    const written: Array<{ workspaceId: string; inserted: number; duplicates: number }> = [];
    const visible: string[] = [];
    start({ onWritten: (w, result) => written.push({ workspaceId: w, ...result }), onVisible: (w) => visible.push(w) });
    await thread!.ingest(job(calls(['gpt-4.1', 'gpt-4.1-mini']), workspaceId), allowed);
    // The same calls again: found stored, counted as duplicates, nothing new to show.
    await thread!.ingest(job(calls(['gpt-4.1', 'gpt-4.1-mini']), workspaceId), allowed);
    await expect.poll(() => written.reduce((sum, w) => sum + w.inserted + w.duplicates, 0)).toBe(4);
    expect(written.reduce((sum, w) => sum + w.inserted, 0)).toBe(2);
    expect(written.every((w) => w.workspaceId === workspaceId)).toBe(true);
    expect(visible).toEqual([workspaceId]);
  });

  it('prices on the thread exactly as the node does: overrides, discounts, loaded catalog data, unpriced models, and a change of prices from the next request', async () => {
    const body = calls(['gpt-4.1', 'acme-internal-1', 'no-such-model-7']);
    const override = { model: 'acme-internal-1', inputPerMTok: 3, outputPerMTok: 9 };
    let node: GenaiPriceCatalog = createGenaiPriceCatalog({ overrides: [override], discounts: { openai: 0.1 } });
    start({ prices: { pricingSnapshot: () => node.pricingSnapshot() } });
    const costs = async (workspaceId: string) => Object.fromEntries((await storedRecords(db, workspaceId)).map((r) => [r['model'], r['cost_usd']]));
    const first = await newWorkspace();
    expect((await thread!.ingest(job(body, first), allowed)).unpricedModels).toEqual(['no-such-model-7']);
    const firstCosts = await costs(first);
    expect(firstCosts['acme-internal-1']).toBeCloseTo((1000 * 3 + 100 * 9) / 1e6, 12);
    expect(firstCosts['no-such-model-7']).toBeNull();
    expect(firstCosts['gpt-4.1']).toBe(0.9 * createGenaiPriceCatalog().priceCall({ model: 'gpt-4.1', provider: 'openai', at: new Date(1767000000000), inputTokens: 1000, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 100, batch: false })!);

    // The admin changes the prices: the next request is priced with the new ones, as the node's own catalog prices it.
    node = createGenaiPriceCatalog({ overrides: [{ ...override, inputPerMTok: 6 }], providers: structuredClone((await waitForUpdate())!) });
    const [second, inProcess] = [await newWorkspace(), await newWorkspace()];
    await thread!.ingest(job(body, second), allowed);
    await createOtlpIngestion({ store: createSqlUsageStore(db), read: readInTurns(() => node) }).ingest(job(body, inProcess), allowed);
    expect(await costs(second)).toEqual(await costs(inProcess));
    expect((await costs(second))['acme-internal-1']).toBeCloseTo((1000 * 6 + 100 * 9) / 1e6, 12);
  });

  it('stores nothing for a request the node refuses, answering with the node`s refusal, not the read`s error', async () => {
    const workspaceId = await newWorkspace();
    start();
    const refusal = new AppError('WORKSPACE_FORBIDDEN', 'viewer');
    await expect(thread!.ingest(job(calls(['gpt-4.1']), workspaceId), Promise.reject(refusal))).rejects.toBe(refusal);
    await expect(thread!.ingest(job(Buffer.from([0xff, 0xff, 0xff]), workspaceId), Promise.reject(refusal))).rejects.toBe(refusal);
    // A refusal that comes late: the read is done and waits for it.
    const late = new Promise<void>((_resolve, reject) => setTimeout(() => reject(refusal), 50));
    await expect(thread!.ingest(job(calls(['gpt-4.1']), workspaceId), late)).rejects.toBe(refusal);
    expect(await storedRecords(db, workspaceId)).toEqual([]);
    // Then allowed: stored.
    expect(await thread!.ingest(job(calls(['gpt-4.1']), workspaceId), allowed)).toMatchObject({ calls: 1 });
    expect(await storedRecords(db, workspaceId)).toHaveLength(1);
  });

  it('keeps each key once per request, counting the copies', async () => {
    const workspaceId = await newWorkspace();
    const ingested = await start().ingest(job(calls(['gpt-4.1', 'gpt-4.1'], { sameId: true }), workspaceId), allowed);
    expect(ingested).toMatchObject({ calls: 1, repeated: 1 });
    expect((await storedRecords(db, workspaceId)).map((r) => r['record_key'])).toEqual(['otlp:id:openai:resp_0']);
  });

  it('reads a body that is a view into a larger buffer, gzip undone, and many requests at once, each key stored once', async () => {
    const workspaceId = await newWorkspace();
    start();
    const zipped = gzipSync(traces());
    // The body in the middle of unrelated bytes, as a pooled or concatenated buffer holds it.
    const larger = Buffer.concat([Buffer.from('before'), zipped, Buffer.from('after')]);
    const view = larger.subarray(6, 6 + zipped.length);
    const all = await Promise.all(Array.from({ length: 20 }, () => thread!.ingest(job(view, workspaceId, { contentEncoding: 'gzip' }), allowed)));
    for (const ingested of all) expect(ingested.calls).toBe(1);
    expect(await storedRecords(db, workspaceId)).toHaveLength(1);
    // The caller's bytes are untouched (the thread got a copy).
    expect(larger.subarray(0, 6).toString()).toBe('before');
    expect(view.equals(zipped)).toBe(true);
  });

  it('moves a body that is its buffer whole to the thread instead of copying it', async () => {
    const workspaceId = await newWorkspace();
    const bytes = traces();
    // As the HTTP layer gathers a body of more than a few KB: a buffer of its own.
    const own = new Uint8Array(new ArrayBuffer(bytes.byteLength));
    own.set(bytes);
    expect((await start().ingest(job(own, workspaceId), allowed)).calls).toBe(1);
    expect(own.byteLength).toBe(0);
  });

  it('answers bad input with the typed error the read throws, and goes on', async () => {
    const workspaceId = await newWorkspace();
    start();
    const notProtobuf = thread!.ingest(job(Buffer.from([0xff, 0xff, 0xff, 0xff]), workspaceId), allowed);
    await expect(notProtobuf).rejects.toBeInstanceOf(AppError);
    await expect(notProtobuf).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const bomb = thread!.ingest(job(gzipSync(Buffer.alloc(4 * 1024 * 1024)), workspaceId, { contentEncoding: 'gzip' }), allowed);
    await expect(bomb).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect((await thread!.ingest(job(traces(), workspaceId), allowed)).calls).toBe(1);
  });

  it('counts metric points and stores none', async () => {
    const workspaceId = await newWorkspace();
    const { request } = OTLP_TYPES.metrics;
    const body = Buffer.from(
      request.encode(request.fromObject({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'gen_ai.client.token.usage', sum: { dataPoints: [{ asInt: 5 }, { asInt: 7 }] } }] }] }] })).finish(),
    );
    expect(await start().ingest(job(body, workspaceId, { signal: 'metrics' }), allowed)).toEqual<OtlpIngested>({ calls: 0, repeated: 0, unpricedModels: [], errors: [], dataPoints: 2 });
    expect(await storedRecords(db, workspaceId)).toEqual([]);
  });

  it('fails what it holds with SERVICE_UNAVAILABLE when closed, and starts again, with a new way to the store, on the next request', async () => {
    const workspaceId = await newWorkspace();
    let accesses = 0;
    start({ storeAccess: () => (accesses++, embedded()) });
    const held = thread!.ingest(job(traces(), workspaceId), allowed);
    await thread!.close();
    await expect(held).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect((await thread!.ingest(job(traces(), workspaceId), allowed)).calls).toBe(1);
    expect(accesses).toBe(2);
    expect(await storedRecords(db, workspaceId)).toHaveLength(1);
  });

  it('answers SERVICE_UNAVAILABLE while its store is away, and stores once it is back', async () => {
    // A PostgreSQL that is not there (a port nothing listens on), then the embedded store.
    const workspaceId = await newWorkspace();
    let away = true;
    start({ storeAccess: () => (away ? { engine: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none', schema: undefined, preparedStatements: undefined } : embedded()) });
    await expect(thread!.ingest(job(traces(), workspaceId), allowed)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await expect(thread!.ingest(job(traces(), workspaceId), allowed)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    away = false;
    await thread!.close();
    expect((await thread!.ingest(job(traces(), workspaceId), allowed)).calls).toBe(1);
  });
});

describe.skipIf(!postgresUrl)('the OTLP ingest thread on PostgreSQL', () => {
  it('stores over connections of its own in the node`s schema', async () => {
    const schema = uniqueName('otlp_thread').toLowerCase();
    const { db: pg, leaseDb } = await openDatabase({ url: postgresUrl!, dataDir: '', schema });
    await leaseDb?.destroy();
    const thread = createOtlpIngestThread({ prices, storeAccess: () => ({ engine: 'postgres', url: postgresUrl!, schema, preparedStatements: undefined }) });
    try {
      await migrateToLatest(pg, schema);
      const workspaceId = crypto.randomUUID();
      await insertAccount(pg, workspaceId);
      expect((await thread.ingest(job(calls(['gpt-4.1', 'gpt-4.1-mini']), workspaceId), allowed)).calls).toBe(2);
      expect((await storedRecords(pg, workspaceId)).map((r) => r['model'])).toEqual(['gpt-4.1', 'gpt-4.1-mini']);
    } finally {
      await thread.close();
      await pg.schema.dropSchema(schema).ifExists().cascade().execute();
      await pg.destroy();
    }
  });
});

describe.skipIf(!clickhouseUrl)('the OTLP ingest thread on ClickHouse', () => {
  it('stores ClickHouse rows for the workspace, rolled up for the dashboard`s reads', async () => {
    const database = uniqueName('otlp_thread');
    const url = `${clickhouseUrl!}/${database}`;
    const store = await createClickHouseUsageStore({ url });
    const thread = createOtlpIngestThread({ prices, storeAccess: () => ({ engine: 'clickhouse', url }) });
    try {
      const workspaceId = crypto.randomUUID();
      expect((await thread.ingest(job(calls(['gpt-4.1', 'gpt-4.1-mini']), workspaceId), allowed)).calls).toBe(2);
      // Whole days come from the rollups, which the thread's writer brings up to date.
      const day = { from: '2025-12-29T00:00:00.000Z', to: '2025-12-30T00:00:00.000Z' };
      await expect.poll(async () => (await store.overview(workspaceId, day)).records).toBe(2);
      expect((await store.overview(workspaceId)).records).toBe(2);
    } finally {
      await thread.close();
      await store.close();
      const admin = createClient({ url: clickhouseUrl! });
      try {
        await admin.command({ query: clickHouseSql`DROP DATABASE IF EXISTS ${identifier(database)}`.text });
      } finally {
        await admin.close();
      }
    }
  });
});
