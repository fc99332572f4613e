import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../app-error.js';
import { OTLP_TYPES } from './otlp-schema.js';
import { createOtlpReaderThread, type OtlpRequestReader } from './otlp-reader-thread.js';
import { readOtlpRequest, type OtlpRequestJob } from './read-otlp-request.js';

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

const job = (body: Uint8Array, extra: Partial<OtlpRequestJob> = {}): OtlpRequestJob => ({
  signal: 'traces',
  encoding: 'protobuf',
  body,
  contentEncoding: undefined,
  maxInflatedBytes: 1024 * 1024,
  ...extra,
});

describe('the OTLP reader thread', () => {
  let reader: OtlpRequestReader | undefined;
  afterEach(async () => {
    await reader?.close();
    reader = undefined;
  });

  it('reads a request as the node would in-process: the same records, the same refusals', async () => {
    reader = createOtlpReaderThread();
    const body = traces();
    const read = await reader.read(job(body));
    expect(read).toEqual(await readOtlpRequest(job(body)));
    expect(read.records).toHaveLength(1);
    expect(read.records[0]).toMatchObject({ model: 'gpt-4.1', inputTokens: 1200, outputTokens: 80, project: 'svc' });
    expect(read.errors).toEqual([expect.stringMatching(/^#2: .*gen_ai.request.model/)]);
  });

  it('reads a body that is a view into a larger buffer, gzip undone, and many requests at once in order', async () => {
    reader = createOtlpReaderThread();
    const zipped = gzipSync(traces());
    // The body in the middle of unrelated bytes, as a pooled or concatenated buffer holds it.
    const larger = Buffer.concat([Buffer.from('before'), zipped, Buffer.from('after')]);
    const view = larger.subarray(6, 6 + zipped.length);
    const reads = await Promise.all(Array.from({ length: 20 }, () => reader!.read(job(view, { contentEncoding: 'gzip' }))));
    for (const read of reads) expect(read.records.map((r) => r.model)).toEqual(['gpt-4.1']);
    // The caller's bytes are untouched (the thread got a copy).
    expect(larger.subarray(0, 6).toString()).toBe('before');
    expect(view.equals(zipped)).toBe(true);
  });

  it('answers bad input with the typed error readOtlpRequest throws', async () => {
    reader = createOtlpReaderThread();
    const notProtobuf = reader.read(job(Buffer.from([0xff, 0xff, 0xff, 0xff])));
    await expect(notProtobuf).rejects.toBeInstanceOf(AppError);
    await expect(notProtobuf).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const bomb = reader.read(job(gzipSync(Buffer.alloc(4 * 1024 * 1024)), { contentEncoding: 'gzip' }));
    await expect(bomb).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
    // Still reading after refusals.
    expect((await reader.read(job(traces()))).records).toHaveLength(1);
  });

  it('counts metric points and stores none', async () => {
    reader = createOtlpReaderThread();
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
    expect(await reader.read(job(body, { signal: 'metrics' }))).toEqual({ records: [], errors: [], dataPoints: 2 });
  });

  it('fails what it holds with SERVICE_UNAVAILABLE when closed, and starts again on the next request', async () => {
    reader = createOtlpReaderThread();
    const held = reader.read(job(traces()));
    await reader.close();
    await expect(held).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect((await reader.read(job(traces()))).records).toHaveLength(1);
  });
});
