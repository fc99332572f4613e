import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_TYPES, type CommandType } from '@tally/protocol';
import { ROUTE_ACCESS } from '../../src/http/route-access.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/**
 * Hostile input, generated from the route table (ROUTE_ACCESS) and the command list: each class
 * of hostile value goes into each field of each route and command. Nothing may answer 5xx or an
 * INTERNAL error frame, no socket may be closed for it, and what was stored before is unchanged
 * wherever the input was refused (and a bystander's data, always).
 */

const HOSTILE: Array<[string, unknown]> = [
  ['NUL byte', 'a\u0000b'],
  ['lone surrogate', 'a\uD800b'],
  ['integer past int32', 2_147_483_648],
  ['huge number', 1e300],
  ['negative', -1],
  ['float for an integer', 1.5],
  ['year 0000', '0000-01-01T00:00:00Z'],
  ['year 10000', '+010000-01-01T00:00:00Z'],
  // Longer than every field's limit, within a WebSocket frame (64 KiB; a bigger frame is a policy close by design).
  ['very long string', 'x'.repeat(60_000)],
  ['object', { $gt: '' }],
  ['array', ['a', 1]],
  ['boolean', true],
  ['null', null],
  ['SQL', "x'); DROP TABLE users; --"],
  ['LIKE pattern', '%_\\%'],
];

interface Ids {
  workspaceId: string;
  threadId: string;
  runId: string;
  sessionId: string;
  apiKeyId: string;
  bystanderId: string;
}

/** The fields of a route a client fills: in the query, in a JSON body, or lines of NDJSON. */
interface RouteFields {
  query?: Record<string, string>;
  body?: (ids: Ids) => Record<string, unknown>;
  /** NDJSON usage upload: the fields of one record line. */
  usageLine?: Record<string, unknown>;
}

/** Known fields per route; a route not named here gets its path parameters and a generic body and query. */
const FIELDS: Partial<Record<string, RouteFields>> = {
  'POST /v1/auth/signup': { body: () => ({ email: 'fuzz@example.com', password: 'correct horse battery staple', setupToken: 't' }) },
  'POST /v1/auth/login': { body: () => ({ email: 'fuzz@example.com', password: 'x' }) },
  'POST /v1/auth/refresh': { body: () => ({ refreshToken: 'r' }) },
  'POST /v1/auth/logout': { body: () => ({ refreshToken: 'r' }) },
  'POST /v1/auth/reset-password': { body: () => ({ token: 't', password: 'correct horse battery staple' }) },
  'GET /v1/auth/oidc/callback': { query: { code: 'c', state: 's' } },
  'POST /v1/me/password': { body: () => ({ currentPassword: 'wrong', newPassword: 'correct horse battery staple 2' }) },
  'PATCH /v1/me': { body: () => ({ displayName: 'Fuzzed' }) },
  'DELETE /v1/me': { body: () => ({ password: 'not the password' }) },
  'GET /v1/workspaces/:workspaceId/threads': { query: { q: 'money' } },
  'PATCH /v1/workspaces/:workspaceId/threads/:threadId': { body: () => ({ title: 'Renamed' }) },
  'PUT /v1/workspaces/:workspaceId/threads/:threadId/sharing': { body: () => ({ shared: false }) },
  'GET /v1/workspaces/:workspaceId/runs/:runId/events': { query: { afterSeq: '0', limit: '10' } },
  'POST /v1/workspaces/:workspaceId/usage': { usageLine: { ts: '2026-10-01T00:00:00Z', model: 'gpt-4o', project: 'p', inputTokens: 10, outputTokens: 5, costUsd: 0.1 } },
  'GET /v1/workspaces/:workspaceId/usage/dashboard': { query: { from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z', model: 'gpt-4o', project: 'p' } },
  'POST /v1/workspaces/:workspaceId/api-keys': { body: () => ({ name: 'fuzz key', scopes: ['usage:write'] }) },
  'PATCH /v1/admin/users/:id': { body: () => ({ role: 'member' }) },
  'GET /v1/admin/audit': { query: { limit: '10', before: '1' } },
  'PUT /v1/admin/prices': { body: () => ({ model: 'fuzz-model', provider: 'fuzz', inputPerMTok: 1, outputPerMTok: 2 }) },
  'DELETE /v1/admin/prices': { query: { model: 'fuzz-model', provider: 'fuzz' } },
  'PUT /v1/admin/llm': { body: () => ({ provider: 'offline', model: 'm', timeoutMs: 5000 }) },
};

/** What each command's data holds when it is well formed. */
const COMMAND_FIELDS: Record<CommandType, (ids: Ids) => Record<string, unknown>> = {
  send_message: (i) => ({ workspaceId: i.workspaceId, threadId: i.threadId, text: 'hello', onBusy: 'queue' }),
  stop_run: (i) => ({ workspaceId: i.workspaceId, runId: i.runId }),
  subscribe: (i) => ({ workspaceId: i.workspaceId, runId: i.runId, afterSeq: 0 }),
  unsubscribe: (i) => ({ workspaceId: i.workspaceId, runId: i.runId }),
  watch_thread: (i) => ({ workspaceId: i.workspaceId, threadId: i.threadId }),
  unwatch_thread: (i) => ({ workspaceId: i.workspaceId, threadId: i.threadId }),
  ping: () => ({ nonce: 'n' }),
};

/** A path or query component: lone surrogates are sent as the bytes a careless client would write. */
function urlPart(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return !/[\uD800-\uDFFF]/.test(text) ? encodeURIComponent(text) : encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, '')) + '%ED%A0%80';
}

const engines = engineSetups();
for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`hostile input into every route and command on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let admin: Awaited<ReturnType<typeof signUp>>;
    let owner: Awaited<ReturnType<typeof signUp>>;
    let bystander: Awaited<ReturnType<typeof signUp>>;
    let ids: Ids;
    let socket: TestSocket;

    beforeAll(async () => {
      server = await startTestApp({ engine, env: { TALLY_MESSAGES_PER_MINUTE: '10000', TALLY_MAX_ACTIVE_RUNS: '1000' } });
      admin = await signUp(server.baseUrl, 'fuzz-admin');
      owner = await signUp(server.baseUrl, 'fuzz-owner');
      bystander = await signUp(server.baseUrl, 'fuzz-bystander');
      for (const who of [owner, bystander]) {
        expect((await rest(server.baseUrl, 'POST', `/v1/workspaces/${who.userId}/usage`, { token: who.token, body: usageNdjson({ seed: 5, days: 1, requestsPerDay: 20 }) })).status).toBe(200);
      }
      const bystanderSocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, bystander.token), workspaceId: bystander.userId });
      const theirs = (await bystanderSocket.command('send_message', { text: 'the bystander asks' }))['data'] as { runId: string };
      await bystanderSocket.waitForTerminal(theirs.runId);
      bystanderSocket.close();
      socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, owner.token), workspaceId: owner.userId });
      const mine = (await socket.command('send_message', { text: 'Where is my AI money going?' }))['data'] as { runId: string; threadId: string };
      await socket.waitForTerminal(mine.runId);
      const sessions = await rest<{ sessions: Array<{ id: string }> }>(server.baseUrl, 'GET', '/v1/sessions', { token: owner.token });
      const key = await rest<{ id: string }>(server.baseUrl, 'POST', `/v1/workspaces/${owner.userId}/api-keys`, { token: owner.token, json: { name: 'kept', scopes: ['full'] } });
      ids = { workspaceId: owner.userId, threadId: mine.threadId, runId: mine.runId, sessionId: sessions.body.sessions[0]!.id, apiKeyId: key.body.id, bystanderId: bystander.userId };
    }, 120_000);
    afterAll(async () => {
      socket?.close();
      await server?.close();
    });

    /** What is stored, volatile columns (last seen, last used) left out. */
    async function stored(ownerIds?: string[]) {
      const db = server.app.services.db;
      const scope = <T>(rows: T[], of: (r: T) => string) => (ownerIds ? rows.filter((r) => ownerIds.includes(of(r))) : rows);
      const users = await db.selectFrom('users').select(['id', 'email', 'role', 'disabled_at', 'display_name', 'password_hash']).orderBy('id').execute();
      const threads = await db.selectFrom('threads').select(['id', 'owner_id', 'title', 'deleted_at']).orderBy('id').execute();
      const messages = await db.selectFrom('messages').select(['id', 'owner_id', 'content']).orderBy('id').execute();
      const keys = await db.selectFrom('api_keys').select(['id', 'owner_id', 'name', 'revoked_at']).orderBy('id').execute();
      const sessions = await db.selectFrom('auth_sessions').select(['id', 'user_id', 'revoked_at']).orderBy('id').execute();
      const usage = await db.selectFrom('usage_records').select(['owner_id', 'record_key', 'model', 'input_tokens']).orderBy('owner_id').orderBy('record_key').execute();
      return JSON.stringify({
        users: scope(users, (r) => r.id),
        threads: scope(threads, (r) => r.owner_id),
        messages: scope(messages, (r) => r.owner_id),
        keys: scope(keys, (r) => r.owner_id),
        sessions: scope(sessions, (r) => r.user_id),
        usage: scope(usage, (r) => r.owner_id),
      });
    }

    /** Waits until none of the owner's runs is going: an accepted message's run writes its answer later. */
    async function quiet() {
      const db = server.app.services.db;
      await expect
        .poll(async () => (await db.selectFrom('runs').select('id').where('owner_id', '=', owner.userId).where('status', 'in', ['queued', 'running']).execute()).length, { timeout: 60_000 })
        .toBe(0);
    }

    it('has a field list for each command, and covers every route of the table', () => {
      expect(Object.keys(COMMAND_FIELDS).sort()).toEqual([...COMMAND_TYPES].sort());
      for (const key of Object.keys(FIELDS)) expect(Object.keys(ROUTE_ACCESS), key).toContain(key);
    });

    it('no route answers 5xx, and refused input changes nothing stored', { timeout: 240_000 }, async () => {
      const bystanderBefore = await stored([ids.bystanderId]);
      const tokenFor = (key: string) => (ROUTE_ACCESS[key as keyof typeof ROUTE_ACCESS] === 'admin' ? admin.token : owner.token);
      const failures: string[] = [];
      let requests = 0;
      for (const key of Object.keys(ROUTE_ACCESS)) {
        if (key === 'GET /v1/ws') continue;
        const [method, pattern] = key.split(' ') as [string, string];
        const fields: RouteFields = FIELDS[key] ?? { query: { q: 'x' }, ...(method === 'GET' || method === 'DELETE' ? {} : { body: () => ({ value: 'x' }) }) };
        const pathParams = [...pattern.matchAll(/:([a-zA-Z]+)/g)].map((m) => m[1]!);
        const pathOf = (override?: [string, unknown]) =>
          pattern.replace(/:([a-zA-Z]+)/g, (_, name: string) => {
            if (override && override[0] === name) return urlPart(override[1]);
            // The owner's personal workspace: hostile values reach the route, not only its guard.
            if (name === 'workspaceId') return owner.userId;
            return key.startsWith('DELETE') || key.includes('admin/users') ? '00000000-0000-4000-8000-000000000000' : key.includes('/runs/') ? ids.runId : ids.threadId;
          });
        const targets: Array<{ where: 'path' | 'query' | 'body' | 'line'; name: string }> = [
          ...pathParams.map((name) => ({ where: 'path' as const, name })),
          ...Object.keys(fields.query ?? {}).map((name) => ({ where: 'query' as const, name })),
          ...Object.keys(fields.body?.(ids) ?? {}).map((name) => ({ where: 'body' as const, name })),
          ...Object.keys(fields.usageLine ?? {}).map((name) => ({ where: 'line' as const, name })),
        ];
        for (const target of targets) {
          const before = await stored();
          let accepted = false;
          for (const [label, value] of HOSTILE) {
            const query: Record<string, string> = { ...fields.query };
            let path = pathOf();
            let body: string | undefined;
            let contentType: string | undefined;
            if (target.where === 'path') path = pathOf([target.name, value]);
            const queryText = Object.entries(query)
              .map(([name, v]) => `${name}=${target.where === 'query' && target.name === name ? urlPart(value) : encodeURIComponent(v)}`)
              .join('&');
            if (fields.body) {
              body = JSON.stringify({ ...fields.body(ids), ...(target.where === 'body' ? { [target.name]: value } : {}) });
              contentType = 'application/json';
            }
            if (fields.usageLine) {
              body = JSON.stringify({ ...fields.usageLine, ...(target.where === 'line' ? { [target.name]: value } : {}) }) + '\n';
              contentType = 'application/x-ndjson';
            }
            const response = await fetch(`${server.baseUrl}${path}${queryText ? `?${queryText}` : ''}`, {
              method,
              redirect: 'manual',
              headers: { authorization: `Bearer ${tokenFor(key)}`, ...(contentType ? { 'content-type': contentType } : {}) },
              ...(body === undefined ? {} : { body }),
            });
            await response.arrayBuffer();
            requests++;
            if (response.status >= 500) failures.push(`${key} ${target.where} ${target.name} <- ${label}: ${response.status}`);
            if (response.status < 300) accepted = true;
          }
          // Refused every time: nothing stored may have moved.
          if (!accepted && (await stored()) !== before) failures.push(`${key} ${target.where} ${target.name}: refused input changed stored data`);
        }
      }
      console.info(`hostile input on ${engine.name}: ${requests} requests`);
      expect(failures).toEqual([]);
      expect(await stored([ids.bystanderId])).toBe(bystanderBefore);
    });

    it('no command answers INTERNAL or loses its socket, and refused commands change nothing stored', { timeout: 120_000 }, async () => {
      const failures: string[] = [];
      void socket.closed.then((c) => failures.push(`socket closed: ${c.code} ${c.reason}`));
      for (const type of COMMAND_TYPES) {
        for (const name of Object.keys(COMMAND_FIELDS[type](ids))) {
          await quiet();
          const before = await stored();
          let accepted = false;
          for (const [label, value] of HOSTILE) {
            const answer = await socket.command(type, { ...COMMAND_FIELDS[type](ids), [name]: value }).catch((error: Error) => {
              throw new Error(`${type}.${name} <- ${label}: ${error.message}; ${failures.join('; ')}`);
            });
            if (answer['type'] === 'ack') accepted = true;
            else if (answer['code'] === 'INTERNAL') failures.push(`${type}.${name} <- ${label}: INTERNAL`);
            // Under the flood limit (50 frames a second), which would close the socket by design.
            await new Promise((resolve) => setTimeout(resolve, 25));
          }
          if (!accepted && (await stored()) !== before) failures.push(`${type}.${name}: refused command changed stored data`);
        }
      }
      expect(failures).toEqual([]);
      expect(socket.ws.readyState).toBe(socket.ws.OPEN);
      expect(await socket.command('ping')).toMatchObject({ type: 'ack' });
    });
  });
}
