import crypto from 'node:crypto';
import { WS_BEARER_PREFIX, WS_SUBPROTOCOL } from '@tally/protocol';
import { mapLimited, sleep } from '../lib/concurrency.js';
import { createLatencyHistogram } from '../lib/histogram.js';
import { closeLoadUsers, prepareLoadUsers, type LoadUser } from '../lib/in-process-tally-load.js';
import { paceMarker, startMockLlm } from '../lib/mock-llm.js';
import type { Figure, Scenario } from '../lib/scenario.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';
import { startTally, type TallyProcess } from '../lib/tally-process.js';
import { BenchSocket, type RunWatch } from '../lib/ws-client.js';

const USERS = 30;
const RUNS = 90;
const DELTAS = 100;
/** 100 chunks 100 ms apart: every run is still streaming when a node dies 3 s in. */
const PACE_MS = 100;
/** Lease of a run: how long a dead node's runs wait before another node takes them (the default is 6 s). */
const LEASE_MS = 3_000;

interface Follower {
  runId: string;
  /** The socket of the node the run was asked on (its owner's). */
  local: RunWatch;
  /** A socket of the same user on another node: its events crossed Redis. */
  remote: RunWatch;
  remoteNode: number;
}

/**
 * Three Tally nodes on one PostgreSQL schema and one Redis. Runs are asked for on every node; each
 * is followed by its owner's socket on that node and by a socket of the same user on another node
 * (events over Redis): delivery p99 on the other node against the same node. Then one node is
 * killed (SIGKILL) 3 s in: its runs wait out their lease and another node takes them over; the
 * longest pause a follower on a surviving node saw, and that every run still ends with every
 * event once, in order.
 */
export const clusterDelivery: Scenario = {
  name: 'cluster-delivery',
  quick: true,
  async run(ctx) {
    const redisUrl = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
    const llm = await startMockLlm({ deltas: DELTAS, deltaDelayMs: PACE_MS });
    const env = { TALLY_REDIS_URL: redisUrl, TALLY_REDIS_PREFIX: `bench-${crypto.randomBytes(4).toString('hex')}:`, TALLY_RUN_LEASE_MS: String(LEASE_MS) };
    const nodes: TallyProcess[] = [];
    const sockets: BenchSocket[] = [];
    let users: LoadUser[] = [];
    try {
      const first = await startTally({ llmBaseUrl: llm.url, database: 'postgres', env });
      nodes.push(first);
      nodes.push(...(await Promise.all([1, 2].map(() => startTally({ llmBaseUrl: llm.url, joinPostgres: first.postgres!, env })))));
      users = await prepareLoadUsers(first.url, first.wsUrl, USERS);
      await closeLoadUsers(users);
      const open = (node: number, user: LoadUser) => BenchSocket.open(nodes[node]!.wsUrl, { protocols: [WS_SUBPROTOCOL, WS_BEARER_PREFIX + user.user.accessToken] });
      const local = createLatencyHistogram();
      const remote = createLatencyHistogram();
      // Run i is asked on node i % 3 and also followed on node (i + 1) % 3.
      const followers: Follower[] = await mapLimited(Array.from({ length: RUNS }, (_, i) => i), 10, async (i) => {
        const user = users[i % USERS]!;
        const [asker, other] = await Promise.all([open(i % 3, user), open((i + 1) % 3, user)]);
        sockets.push(asker, other);
        const ack = await asker.command('send_message', { text: `Where is my AI money going? (cluster ${i}) ${paceMarker(PACE_MS)}` });
        const runId = String(ack['runId']);
        const localWatch = asker.watch(runId, { latency: local });
        const remoteWatch = other.watch(runId, { latency: remote });
        await other.command('subscribe', { runId, afterSeq: 0 });
        return { runId, local: localWatch, remote: remoteWatch, remoteNode: (i + 1) % 3 };
      });
      await sleep(3_000);
      // Node 0 dies: its sockets go with it; its runs are taken over once their lease runs out.
      const killedAt = performance.timeOrigin + performance.now();
      const survivors = followers.filter((f) => f.remoteNode !== 0);
      for (const f of survivors) f.remote.gapsFrom = killedAt;
      const died = new Promise((resolve) => nodes[0]!.child.once('exit', resolve));
      nodes[0]!.child.kill('SIGKILL');
      await died;
      ctx.log(`node 0 killed with ${followers.filter((f) => f.remote.terminalSeq === undefined).length} runs streaming`);
      await Promise.race([Promise.all(survivors.map((f) => f.remote.done)), sleep(90_000)]);
      let integrity = emptyIntegrity();
      let unfinished = 0;
      for (const f of survivors) {
        if (f.remote.terminalSeq === undefined) unfinished++;
        else integrity = addIntegrity(integrity, f.remote.tracker.integrity(f.remote.terminalSeq));
      }
      integrity.lost += unfinished;
      const pauses = survivors.map((f) => f.remote.longestGapMs).sort((a, b) => a - b);
      const taken = pauses.filter((ms) => ms > 1_000).length;
      const l = local.summary();
      const r = remote.summary();
      const figures: Figure[] = [
        {
          name: 'delivery p99 on another node (over Redis), 3 nodes',
          unit: 'ms',
          tally: r.p99,
          baseline: l.p99,
          baselineName: "the same runs on the asking node's socket",
          note:
            `${RUNS} runs (${DELTAS} chunks ${PACE_MS} ms apart) asked on three nodes in turn, each followed on its node and on the next; per chunk, LLM write to client, until node 0 died 3 s in. ` +
            `Other node p50 ${r.p50.toFixed(2)} ms over ${r.count} chunks, same node p50 ${l.p50.toFixed(2)} ms over ${l.count}. One PostgreSQL schema, one Redis, run lease ${LEASE_MS} ms. No target stated.`,
        },
        {
          name: 'takeover: longest pause of a run when its node dies (maximum)',
          unit: 's',
          tally: (pauses.at(-1) ?? 0) / 1000,
          integrity,
          note:
            `Node 0 killed (SIGKILL) 3 s into ${RUNS} streaming runs; followers on the two surviving nodes (${survivors.length} runs): the longest wait for the next event of each run after the kill. ` +
            `${taken} runs paused over 1 s (taken over from the dead node); pauses p50 ${((pauses[Math.floor(pauses.length / 2)] ?? 0) / 1000).toFixed(2)} s. Each followed run must still end with every event once, in order (${unfinished} did not end within 90 s). ` +
            `The lease (${LEASE_MS} ms here, 6 s by default) bounds how soon another node may take a run. No target stated.`,
        },
      ];
      return { scenario: 'cluster-delivery', figures };
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
      await closeLoadUsers(users).catch(() => undefined);
      // The first node drops the schema: the others stop before it.
      await Promise.all(nodes.slice(1).map((n) => n.close()));
      await nodes[0]?.close();
      await llm.close();
    }
  },
};
