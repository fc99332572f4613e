import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalEvent, type RunEvent } from '@tally/protocol';
import { startCluster, type Cluster } from '../support/cluster.js';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun } from '../support/run-assertions.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;

/** Three `tally serve` processes on PostgreSQL + Redis, clients hopping between them. */
describe.skipIf(scale.skipReason !== null)(`three nodes ${scale.skipReason ?? ''}`, () => {
  let cluster: Cluster;
  let llm: FakeLlm;
  let mode: 'slow' | 'hang' = 'slow';

  beforeAll(async () => {
    llm = await startFakeLlm((request) => {
      if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
      if (mode === 'hang') return { stream: ['Working on it'], hang: true };
      return { stream: Array.from({ length: 60 }, (_, i) => `part${i} `), chunkDelayMs: 25 };
    });
    cluster = await startCluster({ engine: scale, count: 3, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k' } });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await llm?.close();
  });

  const node = (i: number) => cluster.nodes[i % cluster.nodes.length]!;

  it('clients that reconnect to other nodes mid-run get every event exactly once, in order', async () => {
    mode = 'slow';
    const hops = await Promise.all(
      Array.from({ length: 5 }, async (_, u) => {
        const user = await signUp(node(u).url, `hop${u}`);
        await rest(node(u + 1).url, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 50 + u, days: 2, requestsPerDay: 40 }) });
        const received: RunEvent[] = [];
        let socket = await openTestSocket(node(u).wsUrl, { ticket: await ticketFor(node(u + 2).url, user.token), workspaceId: user.userId });
        const ack = await socket.command('send_message', { text: 'Where is my AI money going?' });
        const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
        for (let hop = 1; hop <= 2; hop++) {
          await socket.waitFor((f) => f['runId'] === runId && (f['type'] === 'message_delta' || isTerminalEvent(String(f['type']))), 20_000);
          const got = socket.eventsOf(runId);
          socket.ws.terminate();
          received.push(...got);
          if (got.some((e) => isTerminalEvent(e.type))) break;
          socket = await openTestSocket(node(u + hop).wsUrl, { ticket: await ticketFor(node(u + hop + 1).url, user.token), workspaceId: user.userId });
          const sub = await socket.command('subscribe', { runId, afterSeq: received.at(-1)!.seq });
          expect(sub['type']).toBe('ack');
        }
        if (!received.some((e) => isTerminalEvent(e.type))) {
          await socket.waitForTerminal(runId, 30_000);
          received.push(...socket.eventsOf(runId));
          socket.close();
        }
        return { user, runId, threadId, received };
      }),
    );
    for (const { user, runId, threadId, received } of hops) {
      expectCompleteRun(received, { runId, threadId });
      const logged = await rest<{ events: RunEvent[] }>(node(2).url, 'GET', `/v1/workspaces/${user.userId}/runs/${runId}/events`, { token: user.token });
      expect(received).toEqual(logged.body.events);
    }
  }, 120_000);

  it('stop_run sent to one node cancels a run working on another within a second', async () => {
    mode = 'hang';
    const user = await signUp(node(0).url, 'stopper');
    await rest(node(0).url, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 60, days: 2, requestsPerDay: 40 }) });
    const watcher = await openTestSocket(node(0).wsUrl, { ticket: await ticketFor(node(0).url, user.token), workspaceId: user.userId });
    const { runId, threadId } = (await watcher.command('send_message', { text: 'Where is my AI money going?' }))['data'] as { runId: string; threadId: string };
    await watcher.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta', 20_000);
    const owner = await cluster.ownerOf(runId);
    expect(owner).toBeDefined();
    const other = cluster.nodes.find((n) => n !== owner)!;
    const stopper = await openTestSocket(other.wsUrl, { ticket: await ticketFor(other.url, user.token), workspaceId: user.userId });
    const sentAt = Date.now();
    expect(await stopper.command('stop_run', { runId })).toMatchObject({ type: 'ack' });
    const terminal = await watcher.waitForTerminal(runId, 5_000);
    const elapsed = Date.now() - sentAt;
    expect(terminal.type).toBe('run_cancelled');
    console.info(`stop across nodes: run_cancelled ${elapsed} ms after the stop was sent`);
    expect(elapsed).toBeLessThan(1000);
    expectCompleteRun(watcher.eventsOf(runId), { runId, threadId, terminal: 'run_cancelled' });
    watcher.close();
    stopper.close();
  }, 60_000);

  it("all of a user's sockets, on any node, see new threads and the live runs of threads they watch", async () => {
    mode = 'slow';
    const user = await signUp(node(0).url, 'tabs');
    const tab1 = await openTestSocket(node(0).wsUrl, { ticket: await ticketFor(node(0).url, user.token), workspaceId: user.userId });
    const tab2 = await openTestSocket(node(1).wsUrl, { ticket: await ticketFor(node(1).url, user.token), workspaceId: user.userId });
    const { runId, threadId } = (await tab1.command('send_message', { text: 'Hello from tab one' }))['data'] as { runId: string; threadId: string };
    const activity = await tab2.waitFor((f) => f['type'] === 'thread_activity' && f['runId'] === runId);
    expect(activity).toMatchObject({ threadId, status: 'queued', message: { text: 'Hello from tab one' } });
    expect(await tab2.command('watch_thread', { threadId })).toMatchObject({ type: 'ack' });
    await tab2.waitForTerminal(runId, 30_000);
    expectCompleteRun(tab2.eventsOf(runId), { runId, threadId });
    await tab1.waitForTerminal(runId, 30_000);

    // A second message in tab one: tab two, watching the thread, follows the new run from seq 1.
    const second = (await tab1.command('send_message', { threadId, text: 'And a follow-up' }))['data'] as { runId: string };
    await tab2.waitForTerminal(second.runId, 30_000);
    expectCompleteRun(tab2.eventsOf(second.runId), { runId: second.runId, threadId });
    await tab2.waitFor((f) => f['type'] === 'thread_activity' && f['runId'] === second.runId && f['status'] === 'completed');
    tab1.close();
    tab2.close();
  }, 90_000);

  it('a send_message resent to another node with the same id returns the same run', async () => {
    mode = 'slow';
    const user = await signUp(node(1).url, 'resend');
    const s1 = await openTestSocket(node(1).wsUrl, { ticket: await ticketFor(node(1).url, user.token), workspaceId: user.userId });
    const a1 = await s1.command('send_message', { text: 'Hello?' }, 'cluster-resend-1');
    s1.ws.terminate();
    const s2 = await openTestSocket(node(2).wsUrl, { ticket: await ticketFor(node(0).url, user.token), workspaceId: user.userId });
    const a2 = await s2.command('send_message', { text: 'Hello?' }, 'cluster-resend-1');
    expect(a2['data']).toEqual(a1['data']);
    const { runId } = a2['data'] as { runId: string };
    await s2.waitForTerminal(runId, 30_000);
    const [row] = await cluster.query<{ n: number }>('SELECT count(*)::int AS n FROM $schema.runs WHERE owner_id = $1', [user.userId]);
    expect(row!.n).toBe(1);
    s2.close();
  }, 60_000);
});
