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
 * Live reading of a shared thread across two `tally serve` processes on one PostgreSQL + Redis:
 * the author asks on node A, a viewer watches on node B. The viewer follows the author's next run
 * in the shared thread from node B; when the author unshares it through node A mid-run, node B
 * ends the viewer's subscription and watch (thread_access_ended) and the author streams on.
 */
describe.skipIf(scale.skipReason !== null)(`a shared thread read across two processes ${scale.skipReason ?? ''}`, () => {
  let cluster: Cluster;
  let llm: FakeLlm;

  beforeAll(async () => {
    llm = await startFakeLlm((request) => {
      if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
      return { stream: Array.from({ length: 100 }, (_, i) => `part${i} `), chunkDelayMs: 40 };
    });
    cluster = await startCluster({ engine: scale, count: 2, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k' } });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await llm?.close();
  });

  it("follows the author's new run on the other node, and ends there when the author unshares", async () => {
    const [nodeA, nodeB] = cluster.nodes as [(typeof cluster.nodes)[0], (typeof cluster.nodes)[0]];
    const as = (person: Person, method: string, path: string, json?: unknown) =>
      rest<Record<string, unknown>>(nodeA.url, method, path, { token: person.token, ...(json === undefined ? {} : { json }) });
    const owner = await signUp(nodeA.url, 'unshare-cluster-owner');
    const viewer = await signUp(nodeA.url, 'unshare-cluster-viewer');
    const created = await as(owner, 'POST', '/v1/workspaces', { name: 'Unsharing across nodes' });
    expect(created.status).toBe(201);
    const workspaceId = (created.body['workspace'] as { id: string } | undefined)?.id ?? (created.body['id'] as string);
    const invitation = await as(owner, 'POST', `/v1/workspaces/${workspaceId}/invitations`, { role: 'viewer' });
    expect((await as(viewer, 'POST', '/v1/workspaces/invitations/accept', { token: invitation.body['token'] })).status).toBe(200);
    await rest(nodeA.url, 'POST', `/v1/workspaces/${workspaceId}/usage`, { token: owner.token, body: usageNdjson({ seed: 81, days: 2, requestsPerDay: 20 }) });

    const ownerSocket = await openTestSocket(nodeA.wsUrl, { ticket: await ticketFor(nodeA.url, owner.token) });
    const viewerSocket = await openTestSocket(nodeB.wsUrl, { ticket: await ticketFor(nodeB.url, viewer.token) });
    try {
      const first = await ownerSocket.command('send_message', { workspaceId, text: 'Where is our AI money going?' });
      const { runId: firstRunId, threadId } = first['data'] as { runId: string; threadId: string };
      await ownerSocket.waitForTerminal(firstRunId, 60_000);
      expect((await as(owner, 'PUT', `/v1/workspaces/${workspaceId}/threads/${threadId}/sharing`, { shared: true })).status).toBe(200);
      expect(await viewerSocket.command('watch_thread', { workspaceId, threadId })).toMatchObject({ type: 'ack' });

      const next = await ownerSocket.command('send_message', { workspaceId, threadId, text: 'And last month?' });
      const { runId } = next['data'] as { runId: string };
      // Node B hears the new run of the watched shared thread and streams it to the viewer.
      expect(await viewerSocket.waitFor((f) => f['type'] === 'thread_activity' && f['runId'] === runId, 10_000)).toMatchObject({ threadId, status: 'queued' });
      await viewerSocket.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta', 20_000);

      expect((await as(owner, 'PUT', `/v1/workspaces/${workspaceId}/threads/${threadId}/sharing`, { shared: false })).status).toBe(200);
      const ended = await viewerSocket.waitFor((f) => f['type'] === 'thread_access_ended', 5_000);
      expect(ended).toMatchObject({ workspaceId, threadId, reason: 'unshared', runIds: [runId], watched: true });
      const endedAt = viewerSocket.frames.indexOf(ended);

      const terminal = await ownerSocket.waitForTerminal(runId, 60_000);
      expect(terminal.type).toBe('run_completed');
      expect(viewerSocket.frames.slice(endedAt + 1).filter((f) => f['runId'] === runId)).toEqual([]);
      expect(viewerSocket.eventsOf(runId).at(-1)!.seq).toBeLessThan(terminal.seq);
      expect(await viewerSocket.command('subscribe', { workspaceId, runId, afterSeq: 0 })).toMatchObject({ type: 'error', code: 'RUN_NOT_FOUND' });
    } finally {
      ownerSocket.close();
      viewerSocket.close();
    }
  }, 120_000);
});
