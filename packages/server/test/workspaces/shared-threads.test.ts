import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, WorkspaceRole } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

const engine = engineSetups().find((e) => e.skipReason === null && e.name === 'postgres+redis') ?? engineSetups()[0]!;
type Person = Awaited<ReturnType<typeof signUp>>;

/**
 * Threads in a team workspace, through the real server and real sockets: a run analyses the
 * workspace's usage (not the asker's personal data); a thread its author shared is readable by a
 * viewer over REST and by subscribing to its run, and not writable; an unshared one is invisible.
 */
describe.skipIf(engine.skipReason !== null)(`threads shared in a workspace on ${engine.name}`, () => {
  let server: TestApp;
  let llm: FakeLlm;
  let owner: Person;
  let viewer: Person;
  let workspaceId: string;
  let ownerSocket: TestSocket;

  const as = (person: Person, method: string, path: string, json?: unknown) =>
    rest<Record<string, unknown>>(server.baseUrl, method, path, { token: person.token, ...(json === undefined ? {} : { json }) });

  async function join(person: Person, role: WorkspaceRole): Promise<void> {
    const invitation = await as(owner, 'POST', `/v1/workspaces/${workspaceId}/invitations`, { role });
    expect(invitation.status, JSON.stringify(invitation.body)).toBe(201);
    expect((await as(person, 'POST', '/v1/workspaces/invitations/accept', { token: invitation.body['token'] })).status).toBe(200);
  }

  async function ask(text: string): Promise<{ runId: string; threadId: string; terminal: RunEvent }> {
    const ack = await ownerSocket.command('send_message', { workspaceId, text });
    expect(ack['type'], JSON.stringify(ack)).toBe('ack');
    const started = ack['data'] as { runId: string; threadId: string };
    return { ...started, terminal: await ownerSocket.waitForTerminal(started.runId) };
  }

  beforeAll(async () => {
    llm = await startFakeLlm((request) => {
      if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
      return { stream: ['A short answer.'] };
    });
    server = await startTestApp({ engine, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k', TALLY_MESSAGES_PER_MINUTE: '1000' } });
    owner = await signUp(server.baseUrl, 'team-owner');
    viewer = await signUp(server.baseUrl, 'team-viewer');
    const created = await as(owner, 'POST', '/v1/workspaces', { name: 'Shared threads team' });
    expect(created.status).toBe(201);
    workspaceId = (created.body['workspace'] as { id: string } | undefined)?.id ?? (created.body['id'] as string);
    await join(viewer, 'viewer');
    ownerSocket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, owner.token) });
  });
  afterAll(async () => {
    ownerSocket?.close();
    await server?.close();
    await llm?.close();
  });

  it("a run in the team workspace analyses that workspace's usage, not the asker's personal data", async () => {
    const team = await rest<{ inserted: number }>(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/usage`, { token: owner.token, body: usageNdjson({ seed: 31, days: 2, requestsPerDay: 15 }) });
    const personal = await rest<{ inserted: number }>(server.baseUrl, 'POST', `/v1/workspaces/${owner.userId}/usage`, { token: owner.token, body: usageNdjson({ seed: 32, days: 3, requestsPerDay: 40 }) });
    expect(team.body.inserted).toBeGreaterThan(0);
    expect(personal.body.inserted).toBeGreaterThan(team.body.inserted);
    const { terminal, runId } = await ask('Where is my AI money going?');
    expect(terminal.type).toBe('run_completed');
    const report = (terminal as Extract<RunEvent, { type: 'run_completed' }>).data.report;
    expect(report?.totals.requests).toBe(team.body.inserted);
    const overview = await as(owner, 'GET', `/v1/workspaces/${workspaceId}/usage/overview`);
    expect(overview.status).toBe(200);
    expect((await as(owner, 'GET', `/v1/workspaces/${workspaceId}/runs/${runId}`)).body).toMatchObject({ id: runId, workspaceId });
    // Named in another workspace (the asker's personal one), the run is not there.
    expect((await as(owner, 'GET', `/v1/workspaces/${owner.userId}/runs/${runId}`)).body).toMatchObject({ error: { code: 'RUN_NOT_FOUND' } });
  });

  it('a shared thread is readable by a viewer (REST and subscribe), not writable; an unshared one is invisible', async () => {
    const shared = await ask('What did we spend on models?');
    const unshared = await ask('My private question');
    const sharing = await as(owner, 'PUT', `/v1/workspaces/${workspaceId}/threads/${shared.threadId}/sharing`, { shared: true });
    expect(sharing.status, JSON.stringify(sharing.body)).toBe(200);
    expect(sharing.body).toMatchObject({ id: shared.threadId, workspaceId, shared: true, mine: true, author: null });

    const list = await as(viewer, 'GET', `/v1/workspaces/${workspaceId}/threads`);
    const threads = list.body['threads'] as Array<{ id: string; shared: boolean; mine: boolean; author: string | null }>;
    expect(threads.map((t) => t.id)).toEqual([shared.threadId]);
    expect(threads[0]).toMatchObject({ shared: true, mine: false, author: owner.email });
    const messages = await as(viewer, 'GET', `/v1/workspaces/${workspaceId}/threads/${shared.threadId}/messages`);
    expect((messages.body['messages'] as Array<{ role: string; content: string }>).map((m) => m.content)).toContain('What did we spend on models?');
    expect((await as(viewer, 'GET', `/v1/workspaces/${workspaceId}/runs/${shared.runId}/events`)).status).toBe(200);

    // Read-only for the viewer: typed refusals, nothing changed.
    expect((await as(viewer, 'PATCH', `/v1/workspaces/${workspaceId}/threads/${shared.threadId}`, { title: 'Mine now' })).body).toMatchObject({ error: { code: 'THREAD_READ_ONLY' } });
    expect((await as(viewer, 'DELETE', `/v1/workspaces/${workspaceId}/threads/${shared.threadId}`)).body).toMatchObject({ error: { code: 'THREAD_READ_ONLY' } });
    expect((await as(viewer, 'PUT', `/v1/workspaces/${workspaceId}/threads/${shared.threadId}/sharing`, { shared: false })).body).toMatchObject({ error: { code: 'WORKSPACE_FORBIDDEN' } });
    expect((await as(viewer, 'PUT', `/v1/workspaces/${workspaceId}/runs/${shared.runId}/feedback`, { rating: 'down' })).body).toMatchObject({ error: { code: 'THREAD_READ_ONLY' } });
    expect((await as(owner, 'GET', `/v1/workspaces/${workspaceId}/threads/${shared.threadId}`)).body).toMatchObject({ title: expect.not.stringContaining('Mine now') });

    // The unshared thread and its run do not exist for the viewer.
    expect((await as(viewer, 'GET', `/v1/workspaces/${workspaceId}/threads/${unshared.threadId}`)).body).toMatchObject({ error: { code: 'THREAD_NOT_FOUND' } });
    expect((await as(viewer, 'GET', `/v1/workspaces/${workspaceId}/runs/${unshared.runId}`)).body).toMatchObject({ error: { code: 'RUN_NOT_FOUND' } });

    const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, viewer.token) });
    try {
      const subscribed = await socket.command('subscribe', { workspaceId, runId: shared.runId, afterSeq: 0 });
      expect(subscribed).toMatchObject({ type: 'ack', data: { runId: shared.runId, threadId: shared.threadId } });
      const replayed = await socket.waitForTerminal(shared.runId);
      expect(replayed.type).toBe('run_completed');
      expect(socket.eventsOf(shared.runId).map((e) => e.seq)).toEqual(Array.from({ length: replayed.seq }, (_, i) => i + 1));
      expect(await socket.command('subscribe', { workspaceId, runId: unshared.runId, afterSeq: 0 })).toMatchObject({ type: 'error', code: 'RUN_NOT_FOUND' });
      expect(await socket.command('watch_thread', { workspaceId, threadId: unshared.threadId })).toMatchObject({ type: 'error', code: 'THREAD_NOT_FOUND' });
      expect(await socket.command('watch_thread', { workspaceId, threadId: shared.threadId })).toMatchObject({ type: 'ack' });
      // A viewer does not ask, stop or write in the workspace.
      expect(await socket.command('send_message', { workspaceId, text: 'Can I ask?' })).toMatchObject({ type: 'error', code: 'WORKSPACE_FORBIDDEN' });
      expect(await socket.command('send_message', { workspaceId: owner.userId, text: 'In your personal workspace?' })).toMatchObject({ type: 'error', code: 'WORKSPACE_NOT_FOUND' });
      expect(await socket.command('stop_run', { workspaceId, runId: shared.runId })).toMatchObject({ type: 'error', code: 'THREAD_READ_ONLY' });
      // A command without its workspace does not match the protocol.
      expect(await socket.command('subscribe', { runId: shared.runId, afterSeq: 0 })).toMatchObject({ type: 'error', code: 'FRAME_INVALID' });
    } finally {
      socket.close();
    }

    const audit = await as(owner, 'GET', `/v1/workspaces/${workspaceId}/audit`);
    expect((audit.body['events'] as Array<{ action: string }>).map((e) => e.action)).toContain('thread.shared');
  });
});
