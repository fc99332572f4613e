import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForUpdate } from '@pydantic/genai-prices';
import { AppError } from '../../app-error.js';
import { createGenaiPriceCatalog, type GenaiPriceCatalog } from '../../pricing/genai-price-catalog.js';
import { unpackStrings } from '../packed-strings.js';
import { OTLP_TYPES } from './otlp-schema.js';
import { createOtlpReaderThread, type OtlpRequestReader } from './otlp-reader-thread.js';
import { readOtlpRequest, type OtlpRequestJob, type OtlpRequestRead } from './read-otlp-request.js';

const W = '11111111-1111-4111-8111-111111111111';
const prices = createGenaiPriceCatalog();
/** The rows of a read (SQL form) as objects: key `k`, model `m`, cost `c`... (sql-usage-row.ts). */
const rowsOf = (read: OtlpRequestRead) => unpackStrings(read.rows.rows).map((row) => JSON.parse(row) as Record<string, unknown>);

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

const job = (body: Uint8Array, extra: Partial<OtlpRequestJob> = {}): OtlpRequestJob => ({
  signal: 'traces',
  encoding: 'protobuf',
  body,
  contentEncoding: undefined,
  maxInflatedBytes: 1024 * 1024,
  target: { workspaceId: W, form: 'sql-json' },
  ...extra,
});

describe('the OTLP reader thread', () => {
  let reader: OtlpRequestReader | undefined;
  afterEach(async () => {
    await reader?.close();
    reader = undefined;
  });

  it('reads a request as the node would in-process: the same rows, the same refusals', async () => {
    reader = createOtlpReaderThread(prices);
    const body = traces();
    const read = await reader.read(job(body));
    expect(read).toEqual(await readOtlpRequest(job(body), prices));
    expect(rowsOf(read)).toEqual([expect.objectContaining({ k: 'otlp:id::resp_1', m: 'gpt-4.1', i: 1200, o: 80, pr: 'svc', c: expect.any(Number) })]);
    expect(read.errors).toEqual([expect.stringMatching(/^#2: .*gen_ai.request.model/)]);
  });

  it('prices on the thread exactly as the node does: overrides, discounts, loaded catalog data, unpriced models, and a change of prices from the next request', async () => {
    const body = calls(['gpt-4.1', 'acme-internal-1', 'no-such-model-7']);
    const override = { model: 'acme-internal-1', inputPerMTok: 3, outputPerMTok: 9 };
    let node: GenaiPriceCatalog = createGenaiPriceCatalog({ overrides: [override], discounts: { openai: 0.1 } });
    reader = createOtlpReaderThread({ pricingSnapshot: () => node.pricingSnapshot() });
    const first = await reader.read(job(body));
    // The same function over the node's own catalog, in-process: the same rows, costs included.
    expect(first).toEqual(await readOtlpRequest(job(body), node));
    const cost = (read: OtlpRequestRead, model: string) => rowsOf(read).find((r) => r['m'] === model)?.['c'];
    expect(cost(first, 'acme-internal-1')).toBeCloseTo((1000 * 3 + 100 * 9) / 1e6, 12);
    expect(cost(first, 'no-such-model-7')).toBeNull();
    expect(first.unpricedModels).toEqual(['no-such-model-7']);
    expect(cost(first, 'gpt-4.1')).toBe(0.9 * createGenaiPriceCatalog().priceCall({ model: 'gpt-4.1', provider: 'openai', at: new Date(1767000000000), inputTokens: 1000, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 100, batch: false })!);

    // The admin changes the prices: the next request is priced with the new ones.
    node = createGenaiPriceCatalog({ overrides: [{ ...override, inputPerMTok: 6 }], providers: structuredClone((await waitForUpdate())!) });
    const second = await reader.read(job(body));
    expect(second).toEqual(await readOtlpRequest(job(body), node));
    expect(cost(second, 'acme-internal-1')).toBeCloseTo((1000 * 6 + 100 * 9) / 1e6, 12);
    expect(cost(second, 'gpt-4.1')).not.toBe(cost(first, 'gpt-4.1'));
  });

  it('serialises for the store it is given: ClickHouse lines name their owner, with the days to roll up', async () => {
    reader = createOtlpReaderThread(prices);
    const target = { workspaceId: W, form: 'clickhouse-json-each-row' } as const;
    const read = await reader.read(job(calls(['gpt-4.1', 'gpt-4.1-mini']), { target }));
    expect(read.rows.rows.separator).toBe('\n');
    expect(unpackStrings(read.rows.rows).map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ owner_id: W, model: 'gpt-4.1', ts_ms: 1767000000000 }),
      expect.objectContaining({ owner_id: W, model: 'gpt-4.1-mini' }),
    ]);
    expect(read.rows.days).toEqual([Math.floor(1767000000000 / 86_400_000)]);
  });

  it('keeps each key once per request, counting the copies', async () => {
    reader = createOtlpReaderThread(prices);
    const read = await reader.read(job(calls(['gpt-4.1', 'gpt-4.1'], { sameId: true })));
    expect(rowsOf(read)).toHaveLength(1);
    expect(unpackStrings(read.rows.keys)).toEqual(['otlp:id:openai:resp_0']);
    expect(read.repeated).toBe(1);
  });

  it('reads a body that is a view into a larger buffer, gzip undone, and many requests at once in order', async () => {
    reader = createOtlpReaderThread(prices);
    const zipped = gzipSync(traces());
    // The body in the middle of unrelated bytes, as a pooled or concatenated buffer holds it.
    const larger = Buffer.concat([Buffer.from('before'), zipped, Buffer.from('after')]);
    const view = larger.subarray(6, 6 + zipped.length);
    const reads = await Promise.all(Array.from({ length: 20 }, () => reader!.read(job(view, { contentEncoding: 'gzip' }))));
    for (const read of reads) expect(rowsOf(read).map((r) => r['m'])).toEqual(['gpt-4.1']);
    // The caller's bytes are untouched (the thread got a copy).
    expect(larger.subarray(0, 6).toString()).toBe('before');
    expect(view.equals(zipped)).toBe(true);
  });

  it('moves a body that is its buffer whole to the thread instead of copying it', async () => {
    reader = createOtlpReaderThread(prices);
    const bytes = traces();
    // As the HTTP layer gathers a body of more than a few KB: a buffer of its own.
    const own = new Uint8Array(new ArrayBuffer(bytes.byteLength));
    own.set(bytes);
    const read = await reader.read(job(own));
    expect(read).toEqual(await readOtlpRequest(job(bytes), prices));
    expect(own.byteLength).toBe(0);
  });

  it('answers bad input with the typed error readOtlpRequest throws', async () => {
    reader = createOtlpReaderThread(prices);
    const notProtobuf = reader.read(job(Buffer.from([0xff, 0xff, 0xff, 0xff])));
    await expect(notProtobuf).rejects.toBeInstanceOf(AppError);
    await expect(notProtobuf).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const bomb = reader.read(job(gzipSync(Buffer.alloc(4 * 1024 * 1024)), { contentEncoding: 'gzip' }));
    await expect(bomb).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
    // Still reading after refusals.
    expect(rowsOf(await reader.read(job(traces())))).toHaveLength(1);
  });

  it('counts metric points and stores none', async () => {
    reader = createOtlpReaderThread(prices);
    const { request } = OTLP_TYPES.metrics;
    const body = Buffer.from(
      request
        .encode(
          request.fromObject({
            resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'gen_ai.client.token.usage', sum: { dataPoints: [{ asInt: 5 }, { asInt: 7 }] } }] }] }],
          }),
        )
        .finish(),
    );
    const read = await reader.read(job(body, { signal: 'metrics' }));
    expect(read).toMatchObject({ errors: [], dataPoints: 2, repeated: 0 });
    expect(rowsOf(read)).toEqual([]);
  });

  it('fails what it holds with SERVICE_UNAVAILABLE when closed, and starts again on the next request', async () => {
    reader = createOtlpReaderThread(prices);
    const held = reader.read(job(traces()));
    await reader.close();
    await expect(held).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(rowsOf(await reader.read(job(traces())))).toHaveLength(1);
  });
});
