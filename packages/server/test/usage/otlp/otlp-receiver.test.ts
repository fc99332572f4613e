import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageRecordSchema, type UsageDashboard, type UsageRecordInput } from '@tally/protocol';
import { createGenaiPriceCatalog } from '../../../src/pricing/genai-price-catalog.js';
import { priceUsageRecord } from '../../../src/usage/price-usage-record.js';
import { OTLP_TYPES, RPC_STATUS } from '../../../src/usage/otlp/otlp-schema.js';
import { engineSetups } from '../../support/engines.js';
import { rest, signUp } from '../../support/rest.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * The OTLP/HTTP receiver against the real OpenTelemetry JS SDK exporters (protobuf and JSON):
 * GenAI spans and Claude Code `api_request` log records exported to a real node, then read back
 * from the dashboard API with exact figures; replays (in the other encoding) add nothing; gzip;
 * a bad batch gets a partial success naming what was refused; a bad body, a wrong or revoked key
 * are refused; another account's key never adds to this one.
 */
const prices = createGenaiPriceCatalog();
const DAY = Date.parse('2026-11-30T09:00:00Z');
const at = (minutes: number) => new Date(DAY + minutes * 60_000);

interface GenAiCall {
  model: string;
  provider: 'anthropic' | 'openai';
  input: number;
  output: number;
  cacheRead?: number;
  responseId?: string;
  user: string;
  minute: number;
}

/** The calls the spans make, and the records Tally should keep for them. */
const SPAN_CALLS: GenAiCall[] = [
  { model: 'claude-sonnet-4-5', provider: 'anthropic', input: 1_500, output: 300, cacheRead: 1_000, responseId: 'msg_01', user: 'ana@example.com', minute: 1 },
  { model: 'claude-sonnet-4-5', provider: 'anthropic', input: 800, output: 120, responseId: 'msg_02', user: 'ana@example.com', minute: 2 },
  { model: 'gpt-4.1', provider: 'openai', input: 2_000, output: 50, cacheRead: 1_024, responseId: 'chatcmpl-03', user: 'bo@example.com', minute: 3 },
  { model: 'gpt-4.1', provider: 'openai', input: 640, output: 900, user: 'bo@example.com', minute: 4 },
  { model: 'gpt-4.1-mini', provider: 'openai', input: 10_000, output: 1_000, user: 'cy@example.com', minute: 5 },
];

interface ClaudeCodeCall {
  model: string;
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
  costUsd: number;
  minute: number;
}

const CLAUDE_CODE_CALLS: ClaudeCodeCall[] = [
  { model: 'claude-sonnet-4-5-20250929', input: 12, output: 480, cacheRead: 20_000, cacheCreation: 1_500, costUsd: 0.0186, minute: 10 },
  { model: 'claude-sonnet-4-5-20250929', input: 3, output: 95, cacheRead: 21_500, cacheCreation: 300, costUsd: 0.0089, minute: 11 },
  { model: 'claude-haiku-4-5-20251001', input: 900, output: 40, cacheRead: 0, cacheCreation: 0, costUsd: 0.0011, minute: 12 },
];

function spanRecord(c: GenAiCall): UsageRecordInput {
  const cacheRead = c.cacheRead ?? 0;
  return { ts: at(c.minute).toISOString(), provider: c.provider, model: c.model, inputTokens: c.input - cacheRead, cacheReadTokens: cacheRead, outputTokens: c.output };
}
function claudeCodeRecord(c: ClaudeCodeCall): UsageRecordInput {
  return { ts: at(c.minute).toISOString(), provider: 'anthropic', model: c.model, inputTokens: c.input, outputTokens: c.output, cacheReadTokens: c.cacheRead, cacheWriteTokens: c.cacheCreation };
}

/** The dashboard totals the records should give, priced as the server prices them. */
function totalsOf(records: UsageRecordInput[]) {
  const parsed = records.map((r) => UsageRecordSchema.parse(r));
  const sum = (f: (r: (typeof parsed)[number]) => number) => parsed.reduce((acc, r) => acc + f(r), 0);
  return {
    requests: parsed.length,
    inputTokens: sum((r) => r.inputTokens),
    outputTokens: sum((r) => r.outputTokens),
    cacheReadTokens: sum((r) => r.cacheReadTokens),
    cacheWriteTokens: sum((r) => r.cacheWriteTokens),
    costUsd: sum((r) => priceUsageRecord(prices, r).costUsd ?? 0),
  };
}

/** Finished spans made with the SDK: GenAI calls, plus an HTTP span and an agent wrapper that are not calls. */
function makeSpans(calls: GenAiCall[], badInput?: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'support-bot' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('genai-test');
  const agent = tracer.startSpan('invoke_agent triage', { startTime: at(0), attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.request.model': 'gpt-4.1', 'gen_ai.usage.input_tokens': 99_999, 'gen_ai.usage.output_tokens': 1 } });
  for (const c of calls) {
    const span = tracer.startSpan(`chat ${c.model}`, {
      startTime: at(c.minute),
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': c.provider,
        'gen_ai.request.model': c.model,
        'gen_ai.usage.input_tokens': c.input,
        'gen_ai.usage.output_tokens': c.output,
        ...(c.cacheRead ? { 'gen_ai.usage.cache_read.input_tokens': c.cacheRead } : {}),
        ...(c.responseId ? { 'gen_ai.response.id': c.responseId } : {}),
        'user.id': c.user,
      },
    });
    span.end(new Date(at(c.minute).getTime() + 1_200));
  }
  if (badInput !== undefined) {
    tracer.startSpan('chat broken', { startTime: at(30), attributes: { 'gen_ai.request.model': 'gpt-4.1', 'gen_ai.usage.input_tokens': badInput, 'gen_ai.usage.output_tokens': 5 } }).end(at(31));
  }
  tracer.startSpan('GET /health', { startTime: at(0), attributes: { 'http.request.method': 'GET' } }).end(at(0));
  agent.end(at(20));
  return memory.getFinishedSpans();
}

/** Log records as Claude Code emits them with OTEL_LOGS_EXPORTER=otlp, and a prompt event that is not a call. */
async function makeClaudeCodeLogs(calls: ClaudeCodeCall[]): Promise<ReadableLogRecord[]> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'claude-code' }), processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  const logger = provider.getLogger('com.anthropic.claude_code.events');
  for (const c of calls) {
    logger.emit({
      timestamp: at(c.minute),
      severityNumber: SeverityNumber.INFO,
      body: 'claude_code.api_request',
      attributes: {
        'event.name': 'api_request',
        'event.timestamp': at(c.minute).toISOString(),
        'session.id': 'session-1',
        'user.email': 'dev@example.com',
        'user.id': 'device-1',
        model: c.model,
        input_tokens: c.input,
        output_tokens: c.output,
        cache_read_tokens: c.cacheRead,
        cache_creation_tokens: c.cacheCreation,
        cost_usd: c.costUsd,
        duration_ms: 1_800,
      },
    });
  }
  logger.emit({ timestamp: at(13), body: 'claude_code.user_prompt', attributes: { 'event.name': 'user_prompt', 'session.id': 'session-1', prompt_length: 42 } });
  // The simple processor hands records on asynchronously.
  await provider.forceFlush();
  return memory.getFinishedLogRecords();
}

/** GenAI calls reported as `gen_ai.client.inference.operation.details` event log records. */
async function makeGenAiEventLogs(calls: GenAiCall[]): Promise<ReadableLogRecord[]> {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'support-bot' }), processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  const logger = provider.getLogger('genai-test');
  for (const c of calls) {
    logger.emit({
      timestamp: at(c.minute),
      eventName: 'gen_ai.client.inference.operation.details',
      attributes: {
        'gen_ai.provider.name': c.provider,
        'gen_ai.request.model': c.model,
        'gen_ai.usage.input_tokens': c.input,
        'gen_ai.usage.output_tokens': c.output,
        ...(c.cacheRead ? { 'gen_ai.usage.cache_read.input_tokens': c.cacheRead } : {}),
        ...(c.responseId ? { 'gen_ai.response.id': c.responseId } : {}),
      },
    });
  }
  await provider.forceFlush();
  return memory.getFinishedLogRecords();
}

interface Exporter<T> {
  export(items: T[], done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

async function exportWith<T>(exporter: Exporter<T>, items: T[]): Promise<ExportResult> {
  try {
    return await new Promise<ExportResult>((resolve) => exporter.export(items, resolve));
  } finally {
    await exporter.shutdown();
  }
}

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason)(`OTLP receiver on ${engine.name}`, () => {
    let server: TestApp;
    let owner: { token: string; userId: string };
    let key: string;
    let keyId: string;
    const url = (signal: string) => `${server.baseUrl}/v1/otlp/v1/${signal}`;
    const headers = () => ({ Authorization: `Bearer ${key}` });
    // A personal workspace's id is its person's id.
    const dashboard = async (who: { token: string; userId: string } = owner) => (await rest<UsageDashboard>(server.baseUrl, 'GET', `/v1/workspaces/${who.userId}/usage/dashboard`, { token: who.token })).body;
    const createKey = (who: { token: string; userId: string }, name: string, scopes: string[]) =>
      rest<{ id: string; key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${who.userId}/api-keys`, { token: who.token, json: { name, scopes } });
    const expectTotals = async (records: UsageRecordInput[]) => {
      const want = totalsOf(records);
      const { totals } = await dashboard();
      expect(totals).toMatchObject({ requests: want.requests, inputTokens: want.inputTokens, outputTokens: want.outputTokens, cacheReadTokens: want.cacheReadTokens, cacheWriteTokens: want.cacheWriteTokens });
      expect(totals.costUsd).toBeCloseTo(want.costUsd, 9);
    };
    const stored: UsageRecordInput[] = [];
    let firstSpans: ReadableSpan[] = [];

    beforeAll(async () => {
      server = await startTestApp({ engine });
      owner = await signUp(server.baseUrl, 'otlp');
      const created = await createKey(owner, 'otel exporter', ['usage:write']);
      expect(created.status).toBe(201);
      key = created.body.key;
      keyId = created.body.id;
    });
    afterAll(async () => {
      await server?.close();
    });

    it('stores GenAI spans exported as protobuf and Claude Code log records exported as JSON, with the dashboard figures of exactly those calls', async () => {
      firstSpans = makeSpans(SPAN_CALLS);
      const spans = await exportWith(new ProtoTraceExporter({ url: url('traces'), headers: headers() }), firstSpans);
      expect(spans).toEqual({ code: ExportResultCode.SUCCESS });
      const logs = await exportWith(new JsonLogExporter({ url: url('logs'), headers: headers() }), await makeClaudeCodeLogs(CLAUDE_CODE_CALLS));
      expect(logs).toEqual({ code: ExportResultCode.SUCCESS });
      stored.push(...SPAN_CALLS.map(spanRecord), ...CLAUDE_CODE_CALLS.map(claudeCodeRecord));
      await expectTotals(stored);
      // Who spent what: the person each call was made by is kept.
      const requests = await rest<{ requests: Array<{ user: string | null }> }>(server.baseUrl, 'GET', `/v1/workspaces/${owner.userId}/usage/requests?limit=50`, { token: owner.token });
      const users = requests.body.requests.map((r) => r.user).sort();
      expect(users).toEqual(['ana@example.com', 'ana@example.com', 'bo@example.com', 'bo@example.com', 'cy@example.com', 'dev@example.com', 'dev@example.com', 'dev@example.com']);
    });

    it('counts a replayed export once, whatever its encoding, and a call re-reported in a new span under its response id once', async () => {
      expect(await exportWith(new JsonTraceExporter({ url: url('traces'), headers: headers() }), firstSpans)).toEqual({ code: ExportResultCode.SUCCESS });
      // New trace and span ids: the calls with a gen_ai.response.id are known by it.
      expect(await exportWith(new ProtoTraceExporter({ url: url('traces'), headers: headers() }), makeSpans(SPAN_CALLS.filter((c) => c.responseId)))).toEqual({ code: ExportResultCode.SUCCESS });
      expect(await exportWith(new ProtoLogExporter({ url: url('logs'), headers: headers() }), await makeClaudeCodeLogs(CLAUDE_CODE_CALLS))).toEqual({ code: ExportResultCode.SUCCESS });
      // The first span's call reported again as a GenAI event log record: the same response id, one call.
      expect(await exportWith(new JsonLogExporter({ url: url('logs'), headers: headers() }), await makeGenAiEventLogs(SPAN_CALLS.slice(0, 1)))).toEqual({ code: ExportResultCode.SUCCESS });
      await expectTotals(stored);
    });

    it('reads gzip-compressed exports', async () => {
      const calls: GenAiCall[] = [{ model: 'gpt-4.1', provider: 'openai', input: 4_000, output: 400, responseId: 'chatcmpl-gz', user: 'dee@example.com', minute: 40 }];
      const result = await exportWith(new ProtoTraceExporter({ url: url('traces'), headers: headers(), compression: 'gzip' as never }), makeSpans(calls));
      expect(result).toEqual({ code: ExportResultCode.SUCCESS });
      stored.push(...calls.map(spanRecord));
      await expectTotals(stored);
    });

    it('answers a batch with an unreadable call as a partial success naming it, and stores the rest', async () => {
      // The SDK's exporter reports a partial success as a success (it only logs the message): the answer is read here.
      const int = (k: string, v: number | string) => ({ key: k, value: { intValue: v } });
      const str = (k: string, v: string) => ({ key: k, value: { stringValue: v } });
      const span = (id: string, attributes: unknown[]) => ({ traceId: Buffer.alloc(16, 7), spanId: Buffer.from(id, 'hex'), name: 'chat', startTimeUnixNano: String(at(50).getTime() * 1e6), attributes });
      const { request } = OTLP_TYPES.traces;
      const body = request
        .encode(
          request.fromObject({
            resourceSpans: [
              {
                scopeSpans: [
                  {
                    spans: [
                      span('00000000000000f1', [str('gen_ai.provider.name', 'anthropic'), str('gen_ai.request.model', 'claude-sonnet-4-5'), str('gen_ai.response.id', 'msg_partial'), int('gen_ai.usage.input_tokens', 100), int('gen_ai.usage.output_tokens', 10)]),
                      span('00000000000000f2', [str('gen_ai.request.model', 'gpt-4.1'), str('gen_ai.usage.input_tokens', 'lots'), int('gen_ai.usage.output_tokens', 5)]),
                    ],
                  },
                ],
              },
            ],
          }),
        )
        .finish();
      const response = await fetch(url('traces'), { method: 'POST', headers: { ...headers(), 'content-type': 'application/x-protobuf' }, body: new Uint8Array(body) });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/application\/x-protobuf/);
      const answer = OTLP_TYPES.traces.response.toObject(OTLP_TYPES.traces.response.decode(new Uint8Array(await response.arrayBuffer())), { longs: Number });
      expect(answer).toEqual({ partialSuccess: { rejectedSpans: 1, errorMessage: expect.stringMatching(/^1 span\(s\) refused .*#2: span 00000000000000f2: gen_ai\.usage\.input_tokens: expected a whole number ≥ 0, got "lots"/) } });
      stored.push({ ts: at(50).toISOString(), provider: 'anthropic', model: 'claude-sonnet-4-5', inputTokens: 100, outputTokens: 10 });
      await expectTotals(stored);

      // The same over JSON: the answer is OTLP/JSON.
      const json = await rest(server.baseUrl, 'POST', '/v1/otlp/v1/logs', {
        token: key,
        json: { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '1764493200000000000', attributes: [{ key: 'event.name', value: { stringValue: 'claude_code.api_request' } }, { key: 'model', value: { stringValue: 'claude-sonnet-4-5' } }, { key: 'input_tokens', value: { stringValue: 'x' } }] }] }] }] },
      });
      expect(json).toEqual({ status: 200, body: { partialSuccess: { rejectedLogRecords: '1', errorMessage: expect.stringContaining('input_tokens: expected a whole number') } } });
      await expectTotals(stored);
    });

    it('accepts metrics without storing them as calls (they repeat the calls the logs and spans report)', async () => {
      const res = await rest(server.baseUrl, 'POST', '/v1/otlp/v1/metrics', {
        token: key,
        json: { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'claude_code.token.usage', sum: { dataPoints: [{ asInt: '20492', attributes: [{ key: 'type', value: { stringValue: 'input' } }] }] } }] }] }] },
      });
      expect(res).toEqual({ status: 200, body: {} });
      await expectTotals(stored);
    });

    it('refuses a body that is not an export request with 400: a protobuf google.rpc.Status for protobuf, Tally`s typed error for JSON', async () => {
      const proto = await fetch(url('traces'), { method: 'POST', headers: { ...headers(), 'content-type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]) });
      expect(proto.status).toBe(400);
      const status = RPC_STATUS.toObject(RPC_STATUS.decode(new Uint8Array(await proto.arrayBuffer())));
      expect(status).toEqual({ code: 3, message: expect.stringMatching(/^VALIDATION_FAILED: The body is not a protobuf ExportTraceServiceRequest/) });
      const json = await rest(server.baseUrl, 'POST', '/v1/otlp/v1/logs', { token: key, body: '{"resourceLogs": [', contentType: 'application/json' });
      expect(json).toEqual({ status: 400, body: { error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('not JSON') } } });
      const gzipped = await fetch(url('traces'), { method: 'POST', headers: { ...headers(), 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: new Uint8Array(gzipSync(Buffer.from('{"resourceSpans": 5}'))) });
      expect(gzipped.status).toBe(400);
      await expectTotals(stored);
    });

    it('refuses a missing, wrong or revoked key with 401, and the exporter reports the failure', async () => {
      const spans = makeSpans(SPAN_CALLS.slice(0, 1));
      const none = await fetch(url('traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans": []}' });
      expect(none.status).toBe(401);
      const wrong = await exportWith(new ProtoTraceExporter({ url: url('traces'), headers: { Authorization: 'Bearer tally_0000000000000000000000000000000000000000' } }), spans);
      expect(wrong.code).toBe(ExportResultCode.FAILED);
      expect(String(wrong.error)).toMatch(/401|Unauthorized/);

      const revocable = await createKey(owner, 'to revoke', ['full']);
      const withFull = await exportWith(new JsonTraceExporter({ url: url('traces'), headers: { Authorization: `Bearer ${revocable.body.key}` } }), makeSpans([]));
      expect(withFull).toEqual({ code: ExportResultCode.SUCCESS });
      expect((await rest(server.baseUrl, 'DELETE', `/v1/workspaces/${owner.userId}/api-keys/${revocable.body.id}`, { token: owner.token })).status).toBeLessThan(300);
      const revoked = await fetch(url('logs'), { method: 'POST', headers: { Authorization: `Bearer ${revocable.body.key}`, 'content-type': 'application/json' }, body: '{"resourceLogs": []}' });
      expect(revoked.status).toBe(401);
      expect(await revoked.json()).toEqual({ error: { code: 'AUTH_INVALID_API_KEY', message: expect.any(String) } });
      expect(keyId).toBeTruthy();
      await expectTotals(stored);
    });

    it('refuses a wrong key before reading the body: the 401 comes while the body is still being sent', async () => {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const target = new URL(url('traces'));
        const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { authorization: 'Bearer tally_0000000000000000000000000000000000000000', 'content-type': 'application/x-protobuf', 'content-length': String(4 * 1024 * 1024) } });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: text });
            req.destroy();
          });
        });
        req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
        // A first 64 KiB of the announced 4 MiB, and nothing more: only an answer given before the body can arrive.
        req.write(Buffer.alloc(64 * 1024));
      });
      expect(status).toBe(401);
      expect(body).toContain('AUTH_INVALID_API_KEY');
    });

    it('stores what a team workspace`s key sends in that workspace, not in its maker`s personal one', async () => {
      const team = await rest<{ id: string }>(server.baseUrl, 'POST', '/v1/workspaces', { token: owner.token, json: { name: 'platform team' } });
      expect(team.status).toBe(201);
      const teamKey = await rest<{ key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${team.body.id}/api-keys`, { token: owner.token, json: { name: 'team exporter', scopes: ['usage:write'] } });
      expect(teamKey.status).toBe(201);
      const calls: GenAiCall[] = [{ model: 'gpt-4.1', provider: 'openai', input: 70, output: 7, responseId: 'chatcmpl-team', user: 'ana@example.com', minute: 56 }];
      expect(await exportWith(new ProtoTraceExporter({ url: url('traces'), headers: { Authorization: `Bearer ${teamKey.body.key}` } }), makeSpans(calls))).toEqual({ code: ExportResultCode.SUCCESS });
      expect((await dashboard({ token: owner.token, userId: team.body.id })).totals).toMatchObject({ requests: 1, inputTokens: 70, outputTokens: 7 });
      await expectTotals(stored);
    });

    it('stores what another account`s key sends in that account only', async () => {
      const other = await signUp(server.baseUrl, 'otlp-other');
      const otherKey = await createKey(other, 'other', ['usage:write']);
      const calls: GenAiCall[] = [{ model: 'gpt-4.1', provider: 'openai', input: 7, output: 7, responseId: 'chatcmpl-other', user: 'x@example.com', minute: 55 }];
      expect(await exportWith(new ProtoTraceExporter({ url: url('traces'), headers: { Authorization: `Bearer ${otherKey.body.key}` } }), makeSpans(calls))).toEqual({ code: ExportResultCode.SUCCESS });
      expect((await dashboard(other)).totals.requests).toBe(1);
      await expectTotals(stored);
    });

    it('prices an export with the prices in force: an override the admin sets now applies from the next export (priced on the reader thread)', async () => {
      const team = await rest<{ id: string }>(server.baseUrl, 'POST', '/v1/workspaces', { token: owner.token, json: { name: 'pricing team' } });
      const teamKey = await rest<{ key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${team.body.id}/api-keys`, { token: owner.token, json: { name: 'exporter', scopes: ['usage:write'] } });
      const send = (responseId: string, minute: number) =>
        exportWith(
          new ProtoTraceExporter({ url: url('traces'), headers: { Authorization: `Bearer ${teamKey.body.key}` } }),
          makeSpans([{ model: 'acme-otlp-1', provider: 'openai', input: 1000, output: 100, responseId, user: 'ana@example.com', minute }]),
        );
      const totals = async () => (await dashboard({ token: owner.token, userId: team.body.id })).totals;
      expect(await send('acme-1', 40)).toEqual({ code: ExportResultCode.SUCCESS });
      expect(await totals()).toMatchObject({ requests: 1, unpricedRequests: 1, costUsd: 0 });
      const override = await rest(server.baseUrl, 'PUT', '/v1/admin/prices', { token: owner.token, json: { model: 'acme-otlp-1', inputPerMTok: 2, outputPerMTok: 10 } });
      expect(override.status).toBe(200);
      expect(await send('acme-2', 41)).toEqual({ code: ExportResultCode.SUCCESS });
      const after = await totals();
      expect(after).toMatchObject({ requests: 2, unpricedRequests: 1 });
      expect(after.costUsd).toBeCloseTo((1000 * 2 + 100 * 10) / 1e6, 12);
    });
  });
}
