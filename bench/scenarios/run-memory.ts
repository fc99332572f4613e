import { mapLimited, sleep } from '../lib/concurrency.js';
import { openSockets, tallyTarget } from '../lib/delivery-load.js';
import { closeLoadUsers, prepareLoadUsers } from '../lib/in-process-tally-load.js';
import { paceMarker, startMockLlm } from '../lib/mock-llm.js';
import type { Figure, Scenario } from '../lib/scenario.js';
import { startTally } from '../lib/tally-process.js';
import type { BenchSocket, RunWatch } from '../lib/ws-client.js';

const USERS = 50;
const DELTAS = 100;
/** Slow streams, so every run started is still streaming when memory is read (100 × 2 s = 200 s). */
const PACE_MS = 2_000;
const STEPS = [100, 500];

/**
 * Memory per active run: the node's RSS after a full GC with 0, then 100, then 500 runs streaming
 * at once (each with its subscribed socket), read while they stream. Per run = (RSS with N − RSS
 * with 0) / N. The sockets are open from the start, so the difference is the runs', not theirs.
 */
export const runMemory: Scenario = {
  name: 'run-memory',
  quick: true,
  async run(ctx) {
    const most = Math.max(...STEPS);
    const llm = await startMockLlm({ deltas: DELTAS, deltaDelayMs: PACE_MS });
    // A 200-s answer outlives the default 60-s budget of one LLM call: raised for these runs.
    const tally = await startTally({ llmBaseUrl: llm.url, database: 'postgres', env: { TALLY_LLM_TIMEOUT_MS: '600000' } });
    let sockets: BenchSocket[] = [];
    try {
      const loadUsers = await prepareLoadUsers(tally.url, tally.wsUrl, USERS);
      await closeLoadUsers(loadUsers);
      sockets = await openSockets(tallyTarget(tally.wsUrl, loadUsers.map((l) => l.user)), most);
      await sleep(2_000);
      const rss0 = (await tally.probe({ gc: true })).rssBytes;
      const watches: RunWatch[] = [];
      const readings: Array<{ runs: number; rss: number; live: number }> = [];
      for (const step of STEPS) {
        const from = watches.length;
        await mapLimited(Array.from({ length: step - from }, (_, k) => from + k), 20, async (i) => {
          const ack = await sockets[i]!.command('send_message', { text: `Where is my AI money going? (memory ${i}) ${paceMarker(PACE_MS)}` });
          watches[i] = sockets[i]!.watch(String(ack['runId']));
        });
        // Read once every run started is streaming (its first delta came), or after 180 s (the node queues runs it cannot start yet).
        const deadline = performance.now() + 180_000;
        while (performance.now() < deadline && watches.some((w) => w.firstDeltaAt === undefined)) await sleep(200);
        const rss = (await tally.probe({ gc: true })).rssBytes;
        const live = watches.filter((w) => w.firstDeltaAt !== undefined && w.terminalAt === undefined).length;
        readings.push({ runs: step, rss, live });
        ctx.log(`${step} runs started, ${live} streaming: RSS after GC ${(rss / 1024 / 1024).toFixed(1)} MB (idle ${(rss0 / 1024 / 1024).toFixed(1)} MB)`);
      }
      // The runs are not followed to their end: the node stops with them (delivery is measured elsewhere).
      const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
      const figures: Figure[] = readings.map((r) => ({
        name: `memory per active run, ${r.runs} streaming at once`,
        unit: 'KB',
        tally: (r.rss - rss0) / r.runs / 1024,
        ...(r.live < r.runs ? { failures: [`only ${r.live} of ${r.runs} runs were streaming when memory was read`] } : {}),
        note:
          `RSS after a full GC (read from /proc) with ${r.live} runs streaming (${DELTAS} deltas, ${PACE_MS} ms apart) minus ${mb(rss0)} MB with none, over ${r.runs}; ${mb(r.rss)} MB in all. ` +
          `The ${most} sockets (${USERS} users) were open before the idle reading. PostgreSQL, in-process bus, TALLY_LLM_TIMEOUT_MS raised to 600 s (the streams last 200 s). No target stated.`,
      }));
      return { scenario: 'run-memory', figures };
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
      await tally.close();
      await llm.close();
    }
  },
};
