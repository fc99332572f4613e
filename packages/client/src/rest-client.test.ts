import { describe, expect, it } from 'vitest';
import { TallyApiError, TallyTimeoutError } from './errors.js';
import { createRestClient } from './rest-client.js';

const USER = { id: '11111111-1111-4111-8111-111111111111', email: 'a@b.co', role: 'member', displayName: null };
const AUTH = { accessToken: 'acc', expiresIn: 900, refreshToken: 'ref', user: USER };

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that answers from a script and records what it was asked. */
function fakeFetch(answers: Array<{ status: number; body: unknown } | 'hang'>) {
  const calls: Call[] = [];
  const fetch = (async (input: string, init: RequestInit) => {
    calls.push({
      url: input,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body: init.body,
    });
    const answer = answers.shift();
    if (!answer) throw new Error('unexpected request');
    if (answer === 'hang') {
      return new Promise((_, reject) =>
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
      );
    }
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return new Response(answer.status === 204 ? null : text, { status: answer.status });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('createRestClient', () => {
  it('posts credentials and parses the auth answer', async () => {
    const f = fakeFetch([{ status: 200, body: AUTH }]);
    const rest = createRestClient({ baseUrl: 'http://x:8080/', fetch: f.fetch });
    await expect(rest.login({ email: 'a@b.co', password: 'pw' })).resolves.toEqual(AUTH);
    expect(f.calls[0]).toMatchObject({ url: 'http://x:8080/v1/auth/login', method: 'POST' });
    expect(f.calls[0]!.headers['content-type']).toBe('application/json');
    expect(f.calls[0]!.headers.authorization).toBeUndefined();
  });

  it('sends the bearer token and throws the typed error of an error body', async () => {
    const f = fakeFetch([{ status: 404, body: { error: { code: 'RUN_NOT_FOUND', message: 'Run not found.' } } }]);
    const rest = createRestClient({ baseUrl: '', fetch: f.fetch, getAccessToken: () => 'tok' });
    const error = await rest.getRun('w1', 'r1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TallyApiError);
    expect(error).toMatchObject({ status: 404, code: 'RUN_NOT_FOUND', message: 'Run not found.' });
    expect(f.calls[0]!.headers.authorization).toBe('Bearer tok');
    expect(f.calls[0]!.url).toBe('/v1/workspaces/w1/runs/r1');
  });

  it('refuses an authenticated call without a token, before any request', async () => {
    const f = fakeFetch([]);
    const rest = createRestClient({ baseUrl: '', fetch: f.fetch, getAccessToken: () => undefined });
    await expect(rest.listThreads('w1')).rejects.toMatchObject({ status: 401, code: 'AUTH_REQUIRED' });
    expect(f.calls).toHaveLength(0);
  });

  it('retries once after onUnauthorized refreshed the token', async () => {
    let token = 'old';
    const f = fakeFetch([
      { status: 401, body: { error: { code: 'AUTH_INVALID_TOKEN', message: 'expired' } } },
      { status: 200, body: { threads: [] } },
    ]);
    const rest = createRestClient({
      baseUrl: '',
      fetch: f.fetch,
      getAccessToken: () => token,
      onUnauthorized: async () => {
        token = 'new';
        return true;
      },
    });
    await expect(rest.listThreads('w1')).resolves.toEqual([]);
    expect(f.calls.map((c) => c.headers.authorization)).toEqual(['Bearer old', 'Bearer new']);
  });

  it('rejects an answer that does not match the schema, and a non-JSON error page', async () => {
    const f = fakeFetch([
      { status: 200, body: { status: 'ok' } },
      { status: 502, body: '<html>Bad gateway</html>' },
    ]);
    const rest = createRestClient({ baseUrl: '', fetch: f.fetch });
    await expect(rest.health()).rejects.toMatchObject({ code: 'CLIENT_UNEXPECTED_RESPONSE', status: 200 });
    await expect(rest.health()).rejects.toMatchObject({ code: 'CLIENT_UNEXPECTED_RESPONSE', status: 502 });
  });

  it('uploads NDJSON with its content type', async () => {
    const summary = { lines: 2, inserted: 1, duplicates: 0, rejected: 1, errors: [{ line: 2, reason: 'bad' }], unpricedModels: [] };
    const f = fakeFetch([{ status: 200, body: summary }]);
    const rest = createRestClient({ baseUrl: '', fetch: f.fetch, getAccessToken: () => 'tok' });
    await expect(rest.uploadUsage('w1', '{"a":1}\n{"b":2}\n')).resolves.toEqual(summary);
    expect(f.calls[0]!.url).toBe('/v1/workspaces/w1/usage');
    expect(f.calls[0]!.headers['content-type']).toBe('application/x-ndjson');
    expect(f.calls[0]!.body).toBe('{"a":1}\n{"b":2}\n');
  });

  it('hands back the summary of an upload whose every line was refused (answered with 400)', async () => {
    const summary = { lines: 1, inserted: 0, duplicates: 0, rejected: 1, errors: [{ line: 1, reason: 'bad' }], unpricedModels: [] };
    const f = fakeFetch([{ status: 400, body: summary }]);
    const rest = createRestClient({ baseUrl: '', fetch: f.fetch, getAccessToken: () => 'tok' });
    await expect(rest.uploadUsage('w1', 'x\n')).resolves.toEqual(summary);
  });

  it('pages through a run log', async () => {
    const runId = '22222222-2222-4222-8222-222222222222';
    const ev = (seq: number) => ({
      v: 1, type: 'agent_thinking', runId, threadId: runId, seq, ts: 't', data: { agent: 'data', text: 'x' },
    });
    const first = Array.from({ length: 1000 }, (_, i) => ev(i + 1));
    const f = fakeFetch([
      { status: 200, body: { events: first } },
      { status: 200, body: { events: [ev(1001)] } },
    ]);
    const rest = createRestClient({ baseUrl: '', fetch: f.fetch, getAccessToken: () => 'tok' });
    const all = await rest.listAllRunEvents('w1', runId);
    expect(all).toHaveLength(1001);
    expect(f.calls.map((c) => c.url)).toEqual([
      `/v1/workspaces/w1/runs/${runId}/events?afterSeq=0&limit=1000`,
      `/v1/workspaces/w1/runs/${runId}/events?afterSeq=1000&limit=1000`,
    ]);
  });

  it('builds the new routes: thread search, rename and delete, profile, sessions, password, dashboard', async () => {
    const thread = { id: '22222222-2222-4222-8222-222222222222', workspaceId: '33333333-3333-4333-8333-333333333333', title: 'Renamed', shared: false, mine: true, author: null, createdAt: 't', updatedAt: 't' };
    const session = { id: '33333333-3333-4333-8333-333333333333', device: 'curl', ip: '1.2.3.4', createdAt: 't', lastSeenAt: 't', current: true };
    const dashboard = {
      range: { from: null, to: null },
      available: { models: [], projects: [], from: null, to: null },
      totals: { requests: 0, costUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, errorRate: 0, unpricedRequests: 0 },
      byDay: [],
      costByModelByDay: [],
      byModel: [],
      byProject: [],
    };
    const f = fakeFetch([
      { status: 200, body: { threads: [thread] } },
      { status: 200, body: thread },
      { status: 204, body: '' },
      { status: 200, body: { ...USER, displayName: 'Ada' } },
      { status: 200, body: { id: USER.id, email: USER.email, role: USER.role } },
      { status: 200, body: { sessions: [session] } },
      { status: 204, body: '' },
      { status: 204, body: '' },
      { status: 200, body: { records: 0, from: null, to: null, models: [] } },
      { status: 200, body: dashboard },
    ]);
    const rest = createRestClient({ baseUrl: 'http://x', fetch: f.fetch, getAccessToken: () => 'tok' });
    expect(await rest.listThreads('w1', { q: '50% off' })).toEqual([thread]);
    expect(await rest.renameThread('w1', thread.id, 'Renamed')).toEqual(thread);
    await rest.deleteThread('w1', thread.id);
    expect(await rest.updateProfile({ displayName: 'Ada' })).toEqual({ ...USER, displayName: 'Ada' });
    // A server that does not send displayName yet still gives a complete User.
    expect(await rest.me()).toEqual(USER);
    expect(await rest.listSessions()).toEqual([session]);
    await rest.revokeSession(session.id);
    await rest.changePassword('old password', 'new password');
    expect(await rest.usageOverview('w1')).toEqual({ records: 0, from: null, to: null, models: [] });
    // An older server's answer (no 1-hour writes, breakdowns by feature and provider, comparison or
    // derived figures): read with the newer fields at their empty values.
    expect(await rest.usageDashboard('w1', { from: '2026-01-01T00:00:00Z', models: ['a', 'b&c'], projects: ['p'] })).toEqual({
      ...dashboard,
      byFeature: [],
      byProvider: [],
      previous: null,
      costSources: null,
      totals: { ...dashboard.totals, cacheWrite1hTokens: 0, cacheHitRate: 0, costPerRequestUsd: 0, reasoningTokens: 0 },
    });
    expect(f.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET http://x/v1/workspaces/w1/threads?q=50%25+off',
      `PATCH http://x/v1/workspaces/w1/threads/${thread.id}`,
      `DELETE http://x/v1/workspaces/w1/threads/${thread.id}`,
      'PATCH http://x/v1/me',
      'GET http://x/v1/me',
      'GET http://x/v1/sessions',
      `DELETE http://x/v1/sessions/${session.id}`,
      'POST http://x/v1/me/password',
      'GET http://x/v1/workspaces/w1/usage/overview',
      'GET http://x/v1/workspaces/w1/usage/dashboard?from=2026-01-01T00%3A00%3A00Z&model=a&model=b%26c&project=p',
    ]);
    expect(JSON.parse(String(f.calls[1]!.body))).toEqual({ title: 'Renamed' });
    expect(JSON.parse(String(f.calls[3]!.body))).toEqual({ displayName: 'Ada' });
    expect(JSON.parse(String(f.calls[7]!.body))).toEqual({ currentPassword: 'old password', newPassword: 'new password' });
  });

  it('builds each query from the route\'s protocol schema and refuses, before any request, a query the server would refuse', async () => {
    const f = fakeFetch([{ status: 200, body: { events: [] } }, { status: 200, body: { events: [] } }]);
    const rest = createRestClient({ baseUrl: '', fetch: f.fetch, getAccessToken: () => 'tok' });
    await rest.listRunEvents('w1', 'r1', { afterSeq: 5, limit: 10 });
    await rest.listRunEvents('w1', 'r1');
    expect(f.calls.map((c) => c.url)).toEqual(['/v1/workspaces/w1/runs/r1/events?afterSeq=5&limit=10', '/v1/workspaces/w1/runs/r1/events?afterSeq=0']);
    const refused = [
      rest.usageDashboard('w1', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }),
      rest.usageDashboard('w1', { from: 'yesterday' }),
      rest.uploadUsage('w1', '{}', { mapping: 'not json' }),
      rest.listRunEvents('w1', 'r1', { limit: 0 }),
      rest.admin.listAuditEvents({ before: 'x' }),
    ];
    for (const call of refused) {
      const error = await call.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TallyApiError);
      expect((error as TallyApiError).code).toBe('VALIDATION_FAILED');
      expect((error as TallyApiError).status).toBe(400);
      expect((error as TallyApiError).message).toMatch(/^Invalid request: \w+/);
    }
    expect(f.calls).toHaveLength(2);
  });

  it('times out', async () => {
    const f = fakeFetch(['hang']);
    const rest = createRestClient({ baseUrl: '', fetch: f.fetch, timeoutMs: 20 });
    await expect(rest.health()).rejects.toBeInstanceOf(TallyTimeoutError);
  });
});
