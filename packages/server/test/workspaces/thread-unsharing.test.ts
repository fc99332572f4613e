import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkspaceRole } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

const engine = engineSetups().find((e) => e.skipReason === null && e.name === 'postgres+redis') ?? engineSetups()[0]!;
type Person = Awaited<ReturnType<typeof signUp>>;

/**
 * Live reading of a shared thread by another member, through the real server, its bus and real
 * sockets: when the author stops sharing the thread mid-run, the viewer's subscription and watch
 * end at once with a `thread_access_ended` frame and not one more event of the run reaches them,
 * while the author streams on.
 */
describe.skipIf(engine.skipReason !== null)(`unsharing a thread mid-run on ${engine.name}`, () => {
  let server: TestApp;
  let llm: FakeLlm;
  let owner: Person;
  let viewer: Person;
  let workspaceId: string;
  let ownerSocket: TestSocket;
  let viewerSocket: TestSocket;

  const as = (person: Person, method: string, path: string, json?: unknown) =>
    rest<Record<string, unknown>>(server.baseUrl, method, path, { token: person.token, ...(json === undefined ? {} : { json }) });

  async function join(person: Person, role: WorkspaceRole): Promise<void> {
    const invitation = await as(owner, 'POST', `/v1/workspaces/${workspaceId}/invitations`, { role });
    expect(invitation.status, JSON.stringify(invitation.body)).toBe(201);
    expect((await as(person, 'POST', '/v1/workspaces/invitations/accept', { token: invitation.body['token'] })).status).toBe(200);
  }

  async function ask(text: string, threadId?: string): Promise<{ runId: string; threadId: string }> {
    const ack = await ownerSocket.command('send_message', { workspaceId, text, ...(threadId ? { threadId, onBusy: 'queue' } : {}) });
    expect(ack['type'], JSON.stringify(ack)).toBe('ack');
    return ack['data'] as { runId: string; threadId: string };
  }

  beforeAll(async () => {
    llm = await startFakeLlm((request) => {
      if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
      return { stream: Array.from({ length: 60 }, (_, i) => `part${i} `), chunkDelayMs: 40 };
    });
    server = await startTestApp({ engine, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k', TALLY_MESSAGES_PER_MINUTE: '1000' } });
    owner = await signUp(server.baseUrl, 'unshare-owner');
    viewer = await signUp(server.baseUrl, 'unshare-viewer');
    const created = await as(owner, 'POST', '/v1/workspaces', { name: 'Unsharing team' });
    expect(created.status).toBe(201);
    workspaceId = (created.body['workspace'] as { id: string } | undefined)?.id ?? (created.body['id'] as string);
    await join(viewer, 'viewer');
    await rest(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/usage`, { token: owner.token, body: usageNdjson({ seed: 71, days: 2, requestsPerDay: 10 }) });
    ownerSocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, owner.token) });
    viewerSocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, viewer.token) });
  }, 60_000);
  afterAll(async () => {
    ownerSocket?.close();
    viewerSocket?.close();
    await server?.close();
    await llm?.close();
  });

  it("ends the viewer's subscription and watch at once when the author unshares mid-run; the author streams on", async () => {
    const { runId, threadId } = await ask('Where is our AI money going?');
    expect((await as(owner, 'PUT', `/v1/workspaces/${workspaceId}/threads/${threadId}/sharing`, { shared: true })).status).toBe(200);
    expect(await viewerSocket.command('watch_thread', { workspaceId, threadId })).toMatchObject({ type: 'ack' });
    expect(await viewerSocket.command('subscribe', { workspaceId, runId, afterSeq: 0 })).toMatchObject({ type: 'ack' });
    // The viewer is reading the answer live.
    await viewerSocket.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta', 20_000);

    expect((await as(owner, 'PUT', `/v1/workspaces/${workspaceId}/threads/${threadId}/sharing`, { shared: false })).body).toMatchObject({ shared: false });
    const ended = await viewerSocket.waitFor((f) => f['type'] === 'thread_access_ended', 5_000);
    expect(ended).toEqual({ v: 1, type: 'thread_access_ended', workspaceId, threadId, reason: 'unshared', runIds: [runId], watched: true });
    const endedAt = viewerSocket.frames.indexOf(ended);

    const terminal = await ownerSocket.waitForTerminal(runId, 60_000);
    expect(terminal.type).toBe('run_completed');
    // Not one more event of the run for the viewer; the author had all of them, and no notice.
    expect(viewerSocket.frames.slice(endedAt + 1).filter((f) => f['runId'] === runId)).toEqual([]);
    expect(viewerSocket.eventsOf(runId).at(-1)!.seq).toBeLessThan(terminal.seq);
    expect(ownerSocket.eventsOf(runId).map((e) => e.seq)).toEqual(Array.from({ length: terminal.seq }, (_, i) => i + 1));
    expect(ownerSocket.frames.filter((f) => f['type'] === 'thread_access_ended')).toEqual([]);

    // The thread is the author's alone again: the viewer's next commands on it are refused.
    expect(await viewerSocket.command('subscribe', { workspaceId, runId, afterSeq: 0 })).toMatchObject({ type: 'error', code: 'RUN_NOT_FOUND' });
    expect(await viewerSocket.command('watch_thread', { workspaceId, threadId })).toMatchObject({ type: 'error', code: 'THREAD_NOT_FOUND' });
    // Unsharing again (a retry) ends nothing more and tells the viewer nothing more.
    expect((await as(owner, 'PUT', `/v1/workspaces/${workspaceId}/threads/${threadId}/sharing`, { shared: false })).status).toBe(200);
    expect(await viewerSocket.command('ping', {})).toMatchObject({ type: 'ack' });
    expect(viewerSocket.frames.filter((f) => f['type'] === 'thread_access_ended')).toHaveLength(1);
  }, 90_000);

  it("a viewer watching another member's shared thread follows its next run from the start", async () => {
    const first = await ask('What did we spend last week?');
    await ownerSocket.waitForTerminal(first.runId, 60_000);
    const { threadId } = first;
    expect((await as(owner, 'PUT', `/v1/workspaces/${workspaceId}/threads/${threadId}/sharing`, { shared: true })).status).toBe(200);
    expect(await viewerSocket.command('watch_thread', { workspaceId, threadId })).toMatchObject({ type: 'ack', data: { threadId, activeRunIds: [] } });

    const next = await ask('And the week before?', threadId);
    const activity = await viewerSocket.waitFor((f) => f['type'] === 'thread_activity' && f['runId'] === next.runId, 10_000);
    expect(activity).toMatchObject({ workspaceId, threadId, status: 'queued', message: { text: 'And the week before?' } });
    const terminal = await viewerSocket.waitForTerminal(next.runId, 60_000);
    expect(terminal.type).toBe('run_completed');
    // The whole run, once and in order, from its first event.
    expect(viewerSocket.eventsOf(next.runId).map((e) => e.seq)).toEqual(Array.from({ length: terminal.seq }, (_, i) => i + 1));
  }, 90_000);
});
