import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '@tally/protocol';
import { loadConfig } from '../../src/config/config.js';
import { startCluster, type Cluster } from '../support/cluster.js';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { nginxMissing, startNginx, type Nginx } from '../support/nginx.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun, streamedText } from '../support/run-assertions.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;
const missingNginx = await nginxMissing();
const skipReason = scale.skipReason ?? missingNginx;
// The client comes from its own loopback address, so the address nginx saw differs from nginx's own.
const CLIENT_ADDRESS = '127.0.0.3';
// TALLY_TRUST_PROXY (the forwarded address is believed only from these peers) is security's variable.
const trustProxyKnown = 'trustProxy' in loadConfig({ TALLY_TRUST_PROXY: '127.0.0.1/32' });

/** A request from CLIENT_ADDRESS with headers of the test's choosing (fetch cannot pick its source address). */
function requestFrom(baseUrl: string, method: string, path: string, options: { json?: unknown; token?: string; headers?: Record<string, string> }) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const req = http.request(
      baseUrl + path,
      {
        method,
        localAddress: CLIENT_ADDRESS,
        headers: {
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Three nodes behind Debian's nginx with the repository's deploy/nginx.conf: round robin, no
 * sticky sessions, WebSockets proxied. The golden path works through it, a run survives the death
 * of a node with the client resuming through the proxy, and the client address Tally records is
 * the one nginx saw, never one a client claims.
 */
describe.skipIf(skipReason !== null)(`behind nginx ${skipReason ?? ''}`, () => {
  let cluster: Cluster;
  let nginx: Nginx;
  let llm: FakeLlm;

  beforeAll(async () => {
    llm = await startFakeLlm((request) =>
      request.body['stream'] === true
        ? { stream: Array.from({ length: 60 }, (_, i) => `part${i} `), chunkDelayMs: 40 }
        : { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } },
    );
    cluster = await startCluster({
      engine: scale,
      // Two minutes for a node to start on a machine this loaded; seconds when it is not.
      startTimeoutMs: 120_000,
      count: 3,
      env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k', TALLY_TRUST_PROXY: '127.0.0.1/32' },
    });
    nginx = await startNginx(cluster.nodes.map((n) => new URL(n.url).host));
  }, 300_000);
  afterAll(async () => {
    await nginx?.stop();
    await cluster?.close();
    await llm?.close();
  });

  it('the golden path through the proxy, its requests spread over the nodes', async () => {
    const user = await signUp(nginx.url, 'nginx');
    const ingest = await rest<{ accepted: number }>(nginx.url, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 31, days: 3, requestsPerDay: 40 }) });
    expect(ingest.status).toBe(200);
    // Every request goes to any node: the ticket is made on one and used on another.
    const socket = await openTestSocket(nginx.url.replace(/^http/, 'ws') + '/v1/ws', { ticket: await ticketFor(nginx.url, user.token), workspaceId: user.userId });
    const { runId, threadId } = (await socket.command('send_message', { text: 'Where is my AI money going?' }))['data'] as { runId: string; threadId: string };
    const terminal = await socket.waitForTerminal(runId, 30_000);
    expect(terminal.type).toBe('run_completed');
    expectCompleteRun(socket.eventsOf(runId), { runId, threadId });
    const thread = await rest<{ messages: Array<{ role: string }> }>(nginx.url, 'GET', `/v1/workspaces/${user.userId}/threads/${threadId}/messages`, { token: user.token });
    expect(thread.body.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    socket.close();
    for (let i = 0; i < 6; i++) expect((await rest(nginx.url, 'GET', '/v1/health')).status).toBe(200);
    const used = new Set(await nginx.upstreams());
    expect(used).toEqual(new Set(cluster.nodes.map((n) => new URL(n.url).host)));
  }, 60_000);

  it('a node killed mid-run: the client resumes through the proxy on another node with afterSeq and gets the rest once', async () => {
    const user = await signUp(nginx.url, 'nginx-resume');
    await rest(nginx.url, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 32, days: 2, requestsPerDay: 40 }) });
    const wsUrl = nginx.url.replace(/^http/, 'ws') + '/v1/ws';
    const socket = await openTestSocket(wsUrl, { ticket: await ticketFor(nginx.url, user.token), workspaceId: user.userId });
    const { runId, threadId } = (await socket.command('send_message', { text: 'Where is my AI money going?' }))['data'] as { runId: string; threadId: string };
    await socket.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta' && String((f['data'] as { text: string }).text).includes('part5'), 30_000);
    const owner = (await cluster.ownerOf(runId))!;
    expect(owner).toBeDefined();
    // The client loses its connection as the node running its run dies.
    const before: RunEvent[] = socket.eventsOf(runId);
    socket.ws.terminate();
    await owner.kill('SIGKILL');

    const again = await openTestSocket(wsUrl, { ticket: await ticketFor(nginx.url, user.token), workspaceId: user.userId });
    await again.command('subscribe', { runId, afterSeq: before.at(-1)!.seq });
    const terminal = await again.waitForTerminal(runId, 30_000);
    expect(terminal.type).toBe('run_completed');
    const received = [...before, ...again.eventsOf(runId)];
    expectCompleteRun(received, { runId, threadId });
    if (terminal.type !== 'run_completed') throw new Error('unreachable');
    expect(streamedText(received)).toBe(terminal.data.answer);
    again.close();
    cluster.nodes.splice(cluster.nodes.indexOf(owner), 1);
  }, 60_000);

  it('the client address comes from the proxy: what a client writes in X-Forwarded-For is not believed', async () => {
    const user = await signUp(nginx.url, 'nginx-address');
    const login = await requestFrom(nginx.url, 'POST', '/v1/auth/login', {
      json: { email: user.email, password: 'correct horse battery staple' },
      headers: { 'x-forwarded-for': '203.0.113.9', 'user-agent': 'through-proxy' },
    });
    expect(login.status).toBe(200);
    const sessions = await rest<{ sessions: Array<{ device: string; ip: string }> }>(nginx.url, 'GET', '/v1/sessions', { token: user.token });
    expect(sessions.body.sessions.find((s) => s.device === 'through-proxy')?.ip).toBe(CLIENT_ADDRESS);
  });

  it.skipIf(!trustProxyKnown)(`a client that bypasses the proxy cannot claim an address (TALLY_TRUST_PROXY)${trustProxyKnown ? '' : ' SKIPPED: TALLY_TRUST_PROXY is not in config.ts yet'}`, async () => {
    const user = await signUp(nginx.url, 'nginx-direct');
    const node = cluster.nodes[0]!;
    const login = await requestFrom(node.url, 'POST', '/v1/auth/login', {
      json: { email: user.email, password: 'correct horse battery staple' },
      headers: { 'x-forwarded-for': '198.51.100.7', 'user-agent': 'direct' },
    });
    expect(login.status).toBe(200);
    const sessions = await rest<{ sessions: Array<{ device: string; ip: string }> }>(node.url, 'GET', '/v1/sessions', { token: user.token });
    expect(sessions.body.sessions.find((s) => s.device === 'direct')?.ip).toBe(CLIENT_ADDRESS);
  });
});
