import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LlmConnectionTest } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * POST /v1/admin/llm/test against fake providers speaking the real protocols: a working
 * endpoint answers ok with the model's words; a refusing one (401), a silent one (timeout) and
 * no LLM at all answer ok false with why. Admins only.
 */
describe('LLM connection test', () => {
  let server: TestApp;
  let working: FakeLlm;
  let refusing: FakeLlm;
  let silent: FakeLlm;
  let anthropic: FakeAnthropic;
  let admin: Awaited<ReturnType<typeof signUp>>;
  beforeAll(async () => {
    [working, refusing, silent, anthropic] = await Promise.all([
      startFakeLlm(() => ({ text: 'OK' })),
      startFakeLlm(() => ({ error: { status: 401, message: 'Incorrect API key provided' } })),
      startFakeLlm(() => ({ hang: true })),
      startFakeAnthropic(() => ({ text: 'OK from Claude' })),
    ]);
    server = await startTestApp({ engine: engineSetups()[0]! });
    admin = await signUp(server.baseUrl, 'llm-tester');
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([working?.close(), refusing?.close(), silent?.close(), anthropic?.close()]);
  });

  const configure = (json: Record<string, unknown>) => rest(server.baseUrl, 'PUT', '/v1/admin/llm', { token: admin.token, json });
  const test = () => rest<LlmConnectionTest>(server.baseUrl, 'POST', '/v1/admin/llm/test', { token: admin.token, json: {} });

  it('says there is no LLM when none is configured', async () => {
    expect((await configure({ provider: 'offline' })).status).toBe(200);
    expect(await test()).toMatchObject({ status: 200, body: { ok: false, provider: 'offline', failure: 'offline' } });
  });

  it('makes one small real call to a working endpoint, of either protocol', async () => {
    await configure({ provider: 'openai-compatible', baseUrl: working.url, model: 'tiny-model', apiKey: 'sk-test', timeoutMs: 5_000 });
    const answer = await test();
    expect(answer.body).toMatchObject({ ok: true, provider: 'openai-compatible', model: 'tiny-model', failure: null, reply: 'OK' });
    expect(working.requests).toHaveLength(1);
    expect(working.requests[0]!.body).toMatchObject({ model: 'tiny-model' });

    await configure({ provider: 'anthropic', baseUrl: anthropic.url, model: 'claude-test', apiKey: 'sk-ant-test', timeoutMs: 5_000 });
    expect((await test()).body).toMatchObject({ ok: true, provider: 'anthropic', model: 'claude-test', reply: 'OK from Claude' });
  });

  it('reports a refusing endpoint and a silent one as failures, with why', async () => {
    await configure({ provider: 'openai-compatible', baseUrl: refusing.url, model: 'tiny-model', apiKey: 'sk-wrong', timeoutMs: 5_000 });
    const refused = await test();
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ ok: false, failure: 'http', reply: null });
    expect(refused.body.message).toMatch(/Incorrect API key/);

    await configure({ provider: 'openai-compatible', baseUrl: silent.url, model: 'tiny-model', timeoutMs: 1_000 });
    expect((await test()).body).toMatchObject({ ok: false, failure: 'timeout' });
  });

  it('is for admins only', async () => {
    const member = await signUp(server.baseUrl, 'llm-member');
    expect((await rest(server.baseUrl, 'POST', '/v1/admin/llm/test', { token: member.token, json: {} })).status).toBe(403);
  });
});
