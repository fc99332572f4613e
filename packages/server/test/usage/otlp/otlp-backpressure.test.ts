import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { otlpRoutes, OTLP_RETRY_AFTER_SECONDS, type OtlpRoutesDeps } from '../../../src/http/otlp-routes.js';
import type { Principal } from '../../../src/http/authenticate.js';
import { registerErrorHandler } from '../../../src/http/error-handler.js';
import { createGenaiPriceCatalog } from '../../../src/pricing/genai-price-catalog.js';
import { createIngestGate } from '../../../src/usage/otlp/ingest-gate.js';
import { OTLP_TYPES, RPC_STATUS } from '../../../src/usage/otlp/otlp-schema.js';
import type { UsageStore } from '../../../src/usage/usage-store.js';
import { createMemoryUsageStore } from '../../support/memory-usage-store.js';

/**
 * OTLP/HTTP's throttling: a saturated node answers 429 and an unavailable store 503, both with
 * Retry-After, so exporters retry rather than drop. The receiver alone, behind a stand-in for the
 * authenticator (the real one is exercised in otlp-receiver.test.ts).
 */
const principal: Principal = { userId: 'u-1', email: 'u@example.com', role: 'member', via: 'api-key', scopes: ['usage:write'], apiKeyId: 'k-1', workspaceId: 'w-1' } as Principal;
const prices = createGenaiPriceCatalog();
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } });
const oneCall = {
  resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), startTimeUnixNano: '1767000000000000000', attributes: [str('gen_ai.request.model', 'gpt-4.1'), int('gen_ai.usage.input_tokens', 10), int('gen_ai.usage.output_tokens', 1)] }] }] }],
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function receiver(deps: Partial<OtlpRoutesDeps>): Promise<FastifyInstance> {
  app = Fastify();
  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (request) => {
    request.auth = principal;
  });
  registerErrorHandler(app);
  // The key's maker is a member of its workspace (membership itself: otlp-receiver.test.ts, api-keys.test.ts).
  await app.register(otlpRoutes, { store: createMemoryUsageStore(), prices, roleOf: async () => 'member', ...deps });
  return app;
}

describe('OTLP backpressure', () => {
  it('answers 429 with Retry-After when the node has as many requests in flight as it takes (protobuf: RESOURCE_EXHAUSTED)', async () => {
    const server = await receiver({ gate: createIngestGate(0) });
    const json = await server.inject({ method: 'POST', url: '/v1/otlp/v1/traces', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(oneCall) });
    expect(json.statusCode).toBe(429);
    expect(json.headers['retry-after']).toBe(String(OTLP_RETRY_AFTER_SECONDS));
    expect(json.json()).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringContaining('retry') } });
    const { request } = OTLP_TYPES.traces;
    const proto = await server.inject({ method: 'POST', url: '/v1/otlp/v1/traces', headers: { 'content-type': 'application/x-protobuf' }, payload: Buffer.from(request.encode(request.fromObject({})).finish()) });
    expect(proto.statusCode).toBe(429);
    expect(proto.headers['retry-after']).toBe(String(OTLP_RETRY_AFTER_SECONDS));
    expect(RPC_STATUS.toObject(RPC_STATUS.decode(proto.rawPayload))).toEqual({ code: 8, message: expect.stringMatching(/^RATE_LIMITED: /) });
  });

  it('answers 503 with Retry-After when the store is unreachable, and frees the slot', async () => {
    const down: UsageStore = { ...createMemoryUsageStore(), insertRows: () => Promise.reject(Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' })) };
    const gate = createIngestGate(1);
    const server = await receiver({ store: down, gate });
    const res = await server.inject({ method: 'POST', url: '/v1/otlp/v1/traces', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(oneCall) });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe(String(OTLP_RETRY_AFTER_SECONDS));
    expect(res.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    expect(gate.inFlight).toBe(0);
  });

  it('stores into the workspace the principal names', async () => {
    const store = createMemoryUsageStore();
    const server = await receiver({ store });
    const res = await server.inject({ method: 'POST', url: '/v1/otlp/v1/traces', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(oneCall) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
    expect((await store.overview('w-1')).records).toBe(1);
    expect((await store.overview('u-1')).records).toBe(0);
  });
});
