import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** /v1/health names the LLM new runs use: the admin's setting once there is one, the environment's again when it is removed. */
describe('health reports the LLM in use', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp({ engine: engineSetups()[0]! });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
  });

  async function llmOfHealthBecomes(kind: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    let last: unknown;
    while (Date.now() < deadline) {
      last = (await rest<{ engines: { llm: string } }>(server.baseUrl, 'GET', '/v1/health')).body.engines.llm;
      if (last === kind) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`/v1/health still says llm ${String(last)}, expected ${kind}`);
  }

  it('follows the admin setting', async () => {
    expect((await rest<{ engines: { llm: string } }>(server.baseUrl, 'GET', '/v1/health')).body.engines.llm).toBe('offline');
    const admin = await signUp(server.baseUrl, 'health-admin');
    const put = await rest(server.baseUrl, 'PUT', '/v1/admin/llm', {
      token: admin.token,
      json: { provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKey: 'k', timeoutMs: 5_000 },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    await llmOfHealthBecomes('openai-compatible');
    expect((await rest(server.baseUrl, 'DELETE', '/v1/admin/llm', { token: admin.token })).status).toBe(200);
    await llmOfHealthBecomes('offline');
  }, 60_000);
});
