import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../support/cluster.js';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;
type Person = Awaited<ReturnType<typeof signUp>>;

/**
 * Live membership across two `tally serve` processes on one PostgreSQL + Redis: a member watching
 * and subscribed (on node B) to a run of a thread shared in a team workspace is removed through
 * node A. Within seconds node B ends their subscription and watch there and tells the socket
 * (workspace_access_ended); the run goes on streaming to its author, not one more of its events
 * reaches the removed member, and their next command in the workspace is refused.
 */
describe.skipIf(scale.skipReason !== null)(`removing a member across two processes ${scale.skipReason ?? ''}`, () => {
  let cluster: Cluster;
  let llm: FakeLlm;

  beforeAll(async () => {
    llm = await startFakeLlm((request) => {
      if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
      return { stream: Array.from({ length: 160 }, (_, i) => `part${i} `), chunkDelayMs: 40 };
    });
    cluster = await startCluster({ engine: scale, count: 2, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k' } });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await llm?.close();
  });

  it("ends the removed member's subscriptions on the other node at once and refuses their next command", async () => {
    const [nodeA, nodeB] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const as = (person: Person, method: string, path: string, json?: unknown) =>
      rest<Record<string, unknown>>(nodeA.url, method, path, { token: person.token, ...(json === undefined ? {} : { json }) });
    const owner = await signUp(nodeA.url, 'removal-owner');
    const member = await signUp(nodeA.url, 'removal-member');
    const created = await as(owner, 'POST', '/v1/workspaces', { name: 'Removal team' });
    expect(created.status).toBe(201);
    const workspaceId = (created.body['workspace'] as { id: string } | undefined)?.id ?? (created.body['id'] as string);
    const invitation = await as(owner, 'POST', `/v1/workspaces/${workspaceId}/invitations`, { role: 'member' });
    expect((await as(member, 'POST', '/v1/workspaces/invitations/accept', { token: invitation.body['token'] })).status).toBe(200);
    await rest(nodeA.url, 'POST', `/v1/workspaces/${workspaceId}/usage`, { token: owner.token, body: usageNdjson({ seed: 61, days: 2, requestsPerDay: 20 }) });

    const ownerSocket = await openTestSocket(nodeA.wsUrl, { ticket: await ticketFor(nodeA.url, owner.token) });
    const memberSocket = await openTestSocket(nodeB.wsUrl, { ticket: await ticketFor(nodeB.url, member.token) });
    try {
      const ack = await ownerSocket.command('send_message', { workspaceId, text: 'Where is our AI money going?' });
      expect(ack['type'], JSON.stringify(ack)).toBe('ack');
      const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
      expect((await as(owner, 'PUT', `/v1/workspaces/${workspaceId}/threads/${threadId}/sharing`, { shared: true })).status).toBe(200);

      expect(await memberSocket.command('watch_thread', { workspaceId, threadId })).toMatchObject({ type: 'ack' });
      expect(await memberSocket.command('subscribe', { workspaceId, runId, afterSeq: 0 })).toMatchObject({ type: 'ack' });
      // The member is following the run live.
      await memberSocket.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta', 20_000);

      expect((await as(owner, 'DELETE', `/v1/workspaces/${workspaceId}/members/${member.userId}`)).status).toBe(204);
      const ended = await memberSocket.waitFor((f) => f['type'] === 'workspace_access_ended', 5_000);
      expect(ended).toMatchObject({ workspaceId, role: null, runIds: [runId], threadIds: [threadId] });
      const endedAt = memberSocket.frames.indexOf(ended);

      // The run goes on for its author; the removed member gets none of it.
      const terminal = await ownerSocket.waitForTerminal(runId, 60_000);
      expect(terminal.type).toBe('run_completed');
      const ownerEvents = ownerSocket.eventsOf(runId);
      const memberEvents = memberSocket.eventsOf(runId);
      expect(ownerEvents.length).toBeGreaterThan(memberEvents.length);
      expect(memberSocket.frames.slice(endedAt + 1).filter((f) => f['runId'] === runId)).toEqual([]);
      // The member stopped short of the run's end.
      expect(memberEvents.at(-1)!.seq).toBeLessThan(terminal.seq);

      // Their next command in the workspace is refused, on either node.
      expect(await memberSocket.command('subscribe', { workspaceId, runId, afterSeq: 0 })).toMatchObject({ type: 'error', code: 'WORKSPACE_NOT_FOUND' });
      expect(await memberSocket.command('watch_thread', { workspaceId, threadId })).toMatchObject({ type: 'error', code: 'WORKSPACE_NOT_FOUND' });
      expect(await memberSocket.command('send_message', { workspaceId, text: 'still here?' })).toMatchObject({ type: 'error', code: 'WORKSPACE_NOT_FOUND' });
      expect((await rest(nodeB.url, 'GET', `/v1/workspaces/${workspaceId}/threads/${threadId}`, { token: member.token })).body).toMatchObject({ error: { code: 'WORKSPACE_NOT_FOUND' } });
      // The socket itself stays open for the member's other workspaces.
      expect(await memberSocket.command('ping', {})).toMatchObject({ type: 'ack' });
    } finally {
      ownerSocket.close();
      memberSocket.close();
    }
  }, 120_000);
});
