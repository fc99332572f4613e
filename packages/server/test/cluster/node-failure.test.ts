import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES, isTerminalEvent, type RunEvent } from '@tally/protocol';
import { startCluster, type Cluster } from '../support/cluster.js';
import type { NodeProcess } from '../support/node-process.js';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun, streamedText } from '../support/run-assertions.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;
const alive = (n: NodeProcess) => n.child.exitCode === null && n.child.signalCode === null;

/**
 * Nodes that die: a run whose node is killed (SIGKILL) or shut down (SIGTERM) is finished by
 * another node from its last completed step, and what the client already had is neither sent
 * again nor contradicted.
 */
describe.skipIf(scale.skipReason !== null)(`nodes that die mid-run ${scale.skipReason ?? ''}`, () => {
  let cluster: Cluster;
  let llm: FakeLlm;

  beforeAll(async () => {
    // The same text every time: a re-run of the interrupted step is recognised word for word.
    llm = await startFakeLlm((request) =>
      request.body['stream'] === true
        ? { stream: Array.from({ length: 80 }, (_, i) => `chunk${i} `), chunkDelayMs: 40 }
        : { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } },
    );
    // The nodes run their pipelines on a run thread: a node's death or shutdown takes its threads' runs with it.
    cluster = await startCluster({ engine: scale, count: 2, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k', TALLY_RUN_THREADS: '1' } });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await llm?.close();
  });

  async function startRunAwayFromItsNode(label: string) {
    const entry = cluster.nodes.find((n) => alive(n))!;
    const user = await signUp(entry.url, label);
    await rest(entry.url, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 70, days: 2, requestsPerDay: 40 }) });
    let socket = await openTestSocket(entry.wsUrl, { ticket: await ticketFor(entry.url, user.token), workspaceId: user.userId });
    const { runId, threadId } = (await socket.command('send_message', { text: 'Where is my AI money going?' }))['data'] as { runId: string; threadId: string };
    // Well into the answer: earlier steps are checkpointed, the reporting step is half streamed.
    await socket.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta' && String((f['data'] as { text: string }).text).includes('chunk10'), 30_000);
    const owner = (await cluster.ownerOf(runId))!;
    expect(owner).toBeDefined();
    const survivor = cluster.nodes.find((n) => n !== owner && alive(n))!;
    if (entry === owner) {
      // The client must live through the failure: it watches from the node that survives.
      const before = socket.eventsOf(runId);
      socket.ws.terminate();
      socket = await openTestSocket(survivor.wsUrl, { ticket: await ticketFor(survivor.url, user.token), workspaceId: user.userId });
      await socket.command('subscribe', { runId, afterSeq: before.at(-1)!.seq });
      return { user, runId, threadId, owner, survivor, socket, before };
    }
    return { user, runId, threadId, owner, survivor, socket, before: [] as RunEvent[] };
  }

  async function expectFinishedWhole(run: { user: { token: string; userId: string }; runId: string; threadId: string; survivor: { url: string }; socket: TestSocket; before: RunEvent[] }) {
    const terminal = await run.socket.waitForTerminal(run.runId, 30_000);
    expect(terminal.type).toBe('run_completed');
    const received = [...run.before, ...run.socket.eventsOf(run.runId)];
    expectCompleteRun(received, { runId: run.runId, threadId: run.threadId });
    const logged = await rest<{ events: RunEvent[] }>(run.survivor.url, 'GET', `/v1/workspaces/${run.user.userId}/runs/${run.runId}/events`, { token: run.user.token });
    // Equal to the log but for `ts`: the takeover re-issues the write-behind window (events published,
    // not yet written, when the node died) with the same seq and content, stamped with its own time.
    const withoutTs = (events: RunEvent[]) => events.map(({ ts: _ts, ...rest }) => rest);
    expect(withoutTs(received)).toEqual(withoutTs(logged.body.events));
    // Nothing said twice: the answer is the deltas joined, once, and each agent ran its step once.
    if (terminal.type !== 'run_completed') throw new Error('unreachable');
    expect(streamedText(received)).toBe(terminal.data.answer);
    if (process.env['DEBUG_TAKEOVER']) console.log(received.map((e) => `${e.seq} ${e.type} ${JSON.stringify(e.data).slice(0, 100)}`).join('\n'));
    expect(terminal.data.answer.match(/chunk10 /g)).toHaveLength(1);
    const starts = received.filter((e) => e.type === 'agent_started').map((e) => (e.data as { agent: string }).agent);
    expect(new Set(starts).size).toBe(starts.length);
  }

  it('a node killed with SIGKILL: another node finishes its run within 10 seconds', async () => {
    const run = await startRunAwayFromItsNode('sigkill');
    const killedAt = Date.now();
    await run.owner.kill('SIGKILL');
    try {
      await expectFinishedWhole(run);
    } finally {
      if (process.env['DEBUG_TAKEOVER']) console.log(run.survivor.log.filter((l) => /differs|taking over/.test(l)).join('\n'));
    }
    const [row] = await cluster.query<{ finished_at: Date }>('SELECT finished_at FROM $schema.runs WHERE id = $1', [run.runId]);
    console.info(`takeover after SIGKILL: run finished ${row!.finished_at.getTime() - killedAt} ms after the kill`);
    expect(row!.finished_at.getTime() - killedAt).toBeLessThan(10_000);
    run.socket.close();
    await cluster.addNode();
  }, 90_000);

  it('a node shut down with SIGTERM hands its run back, closes sockets with "reconnect elsewhere", and the run goes on', async () => {
    const run = await startRunAwayFromItsNode('sigterm');
    // A client on the node that shuts down is told to reconnect elsewhere.
    const user = run.user;
    const onOwner = await openTestSocket(run.owner.wsUrl, { ticket: await ticketFor(run.owner.url, user.token), workspaceId: user.userId });
    const code = await run.owner.kill('SIGTERM');
    expect(code).toBe(0);
    expect((await onOwner.closed).code).toBe(CLOSE_CODES.RECONNECT_ELSEWHERE);
    await expectFinishedWhole(run);
    expect(run.owner.log.some((line) => line.includes('handed the run back'))).toBe(true);
    run.socket.close();
  }, 90_000);

  it('no run stays unfinished', async () => {
    const rows = await cluster.query<{ status: string }>('SELECT status FROM $schema.runs');
    expect(rows.every((r) => ['completed', 'failed', 'cancelled'].includes(r.status))).toBe(true);
    expect(rows.filter((r) => !isTerminalEvent(`run_${r.status}`))).toEqual([]);
  });
});
