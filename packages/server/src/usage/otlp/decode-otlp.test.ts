import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeOtlpRequest, encodeOtlpResponse, inflateOtlpBody, otlpEncodingOf } from './decode-otlp.js';
import { OTLP_TYPES } from './otlp-schema.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b173';

function protobufTraces(): Buffer {
  const { request } = OTLP_TYPES.traces;
  const message = request.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: Buffer.from(TRACE, 'hex'),
                spanId: Buffer.from(SPAN, 'hex'),
                name: 'chat',
                startTimeUnixNano: '1767000000123000000',
                status: { code: 2 },
                attributes: [{ key: 'gen_ai.usage.input_tokens', value: { intValue: '1200' } }],
              },
            ],
          },
        ],
      },
    ],
  });
  return Buffer.from(request.encode(message).finish());
}

describe('OTLP decoding', () => {
  it('tells the encoding from the Content-Type', () => {
    expect(otlpEncodingOf('application/x-protobuf')).toBe('protobuf');
    expect(otlpEncodingOf('application/json; charset=utf-8')).toBe('json');
    expect(otlpEncodingOf('text/plain')).toBeUndefined();
  });

  it('decodes protobuf into the OTLP/JSON shape: camelCase, ids as base64 (hexId reads them), 64-bit ints as strings, enums as numbers', () => {
    const span = (decodeOtlpRequest('traces', protobufTraces(), 'protobuf') as { resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> }).resourceSpans[0]!.scopeSpans[0]!.spans[0];
    expect(span).toMatchObject({
      traceId: Buffer.from(TRACE, 'hex').toString('base64'),
      spanId: Buffer.from(SPAN, 'hex').toString('base64'),
      startTimeUnixNano: '1767000000123000000',
      status: { code: 2 },
      attributes: [{ key: 'gen_ai.usage.input_tokens', value: { intValue: '1200' } }],
    });
  });

  it('refuses a body that is not the signal request, with a typed error', () => {
    expect(() => decodeOtlpRequest('traces', Buffer.from([0x0a, 0xff, 0xff, 0xff]), 'protobuf')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => decodeOtlpRequest('logs', Buffer.from('{"resourceLogs": '), 'json')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => decodeOtlpRequest('logs', Buffer.from('{"resourceLogs": {}}'), 'json')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => decodeOtlpRequest('logs', Buffer.from('[1]'), 'json')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('refuses an OTLP/JSON body nested otherwise than the protocol, naming where; absent or null lists are empty', () => {
    const refused = (signal: 'traces' | 'logs' | 'metrics', body: unknown, where: string) =>
      expect(() => decodeOtlpRequest(signal, Buffer.from(JSON.stringify(body)), 'json')).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining(where) }),
      );
    refused('traces', { resourceSpans: [{ scopeSpans: [{ spans: {} }] }] }, 'resourceSpans[0].scopeSpans[0].spans is not an array');
    refused('traces', { resourceSpans: [{ scopeSpans: [{ spans: [] }, 7] }] }, 'resourceSpans[0].scopeSpans[1] is not an object');
    refused('traces', { resourceSpans: [{ scopeSpans: 'x' }] }, 'resourceSpans[0].scopeSpans is not an array');
    refused('logs', { resourceLogs: [null] }, 'resourceLogs[0] is not an object');
    refused('logs', { resourceLogs: [{ scopeLogs: [{ logRecords: { a: 1 } }] }] }, 'resourceLogs[0].scopeLogs[0].logRecords is not an array');
    refused('metrics', { resourceMetrics: [{ scopeMetrics: [{ metrics: 1 }] }] }, 'resourceMetrics[0].scopeMetrics[0].metrics is not an array');
    for (const body of [{ resourceSpans: null }, { resourceSpans: [{ scopeSpans: null }] }, { resourceSpans: [{ scopeSpans: [{ spans: null }] }] }, { resourceSpans: [{}] }]) {
      expect(decodeOtlpRequest('traces', Buffer.from(JSON.stringify(body)), 'json')).toEqual(body);
    }
  });

  it('inflates gzip within a limit and refuses a bomb or a foreign encoding', async () => {
    const body = Buffer.from('{"resourceSpans": []}');
    expect(await inflateOtlpBody(gzipSync(body), 'gzip', 1000)).toEqual(body);
    expect(await inflateOtlpBody(body, undefined, 1000)).toBe(body);
    await expect(inflateOtlpBody(gzipSync(Buffer.alloc(10_000)), 'gzip', 1000)).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
    await expect(inflateOtlpBody(body, 'gzip', 1000)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(inflateOtlpBody(body, 'br', 1000)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('answers full success with an empty response and a partial success with the count and message, in either encoding', () => {
    expect(encodeOtlpResponse('traces', 'json', 0, '')).toEqual({});
    expect(encodeOtlpResponse('logs', 'json', 2, 'bad')).toEqual({ partialSuccess: { rejectedLogRecords: '2', errorMessage: 'bad' } });
    expect((encodeOtlpResponse('traces', 'protobuf', 0, '') as Buffer).length).toBe(0);
    const { response } = OTLP_TYPES.traces;
    const decoded = response.toObject(response.decode(encodeOtlpResponse('traces', 'protobuf', 3, 'why') as Buffer), { longs: Number });
    expect(decoded).toEqual({ partialSuccess: { rejectedSpans: 3, errorMessage: 'why' } });
  });
});
