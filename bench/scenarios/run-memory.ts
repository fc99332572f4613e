import { mapLimited, sleep } from '../lib/concurrency.js';
import { openSockets, tallyTarget } from '../lib/delivery-load.js';
import { closeLoadUsers, prepareLoadUsers } from '../lib/in-process-tally-load.js';
import { paceMarker, startMockLlm } from '../lib/mock-llm.js';
import { spreadOf, spreadText, type RoundSpread } from '../lib/round-stats.js';
import type { Figure, Scenario } from '../lib/scenario.js';
import { startTally } from '../lib/tally-process.js';
import type { BenchSocket, RunWatch } from '../lib/ws-client.js';

const USERS = 50;
const DELTAS = 100;
/** Slow streams, so every run started is still streaming when memory is read (100 × 2 s = 200 s). */
const PACE_MS = 2_000;
const STEPS = [100, 500];

/** GC'd readings taken at each step, a second apart: their median is the step's figure. */
const READINGS = 3;

interface Reading {
  runs: number;
  live: number;
  /** Medians over READINGS probes, each after a full GC. */
  liveBytes: RoundSpread;
  rssBytes: RoundSpread;
}

/**
 * Memory per active run: the node's memory after a full GC with 0, then 100, then 500 runs
 * streaming at once (each with its subscribed socket), read while they stream. Per run = (memory
 * with N − memory with 0) / N. The figure is the live memory (V8 heap in use plus the external
 * memory of Buffers): RSS keeps pages the allocator freed and may even fall as runs are added
 * (session 14's full run read -84.5 KB a run at 100), so it is reported beside it, not as it.
 * Each step is the median of three GC'd readings a second apart. The sockets are open from the
 * start, so the difference is the runs', not theirs.
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
    const read = async (runs: number, live: number): Promise<Reading> => {
      const samples: Array<{ live: number; rss: number }> = [];
      for (let i = 0; i < READINGS; i++) {
        if (i > 0) await sleep(1_000);
        const probe = await tally.probe({ gc: true });
        samples.push({ live: probe.heapUsedBytes + probe.externalBytes, rss: probe.rssBytes });
      }
      return { runs, live, liveBytes: spreadOf(samples.map((x) => x.live)), rssBytes: spreadOf(samples.map((x) => x.rss)) };
    };
    try {
      const loadUsers = await prepareLoadUsers(tally.url, tally.wsUrl, USERS);
      await closeLoadUsers(loadUsers);
      sockets = await openSockets(tallyTarget(tally.wsUrl, loadUsers.map((l) => l.user)), most);
      await sleep(2_000);
      const idle = await read(0, 0);
      const watches: RunWatch[] = [];
      const readings: Reading[] = [];
      for (const step of STEPS) {
        const from = watches.length;
        await mapLimited(Array.from({ length: step - from }, (_, k) => from + k), 20, async (i) => {
          const ack = await sockets[i]!.command('send_message', { text: `Where is my AI money going? (memory ${i}) ${paceMarker(PACE_MS)}` });
          watches[i] = sockets[i]!.watch(String(ack['runId']));
        });
        // Read once every run started is streaming (its first delta came), or after 180 s (the node queues runs it cannot start yet).
        const deadline = performance.now() + 180_000;
        while (performance.now() < deadline && watches.some((w) => w.firstDeltaAt === undefined)) await sleep(200);
        const streaming = () => watches.filter((w) => w.firstDeltaAt !== undefined && w.terminalAt === undefined).length;
        const reading = await read(step, streaming());
        // A run that ended while memory was read would make the step smaller than its name.
        readings.push({ ...reading, live: Math.min(reading.live, streaming()) });
        ctx.log(`${step} runs started, ${reading.live} streaming: live memory after GC ${spreadText(mbOf(reading.liveBytes), 1, ' MB')}, RSS ${spreadText(mbOf(reading.rssBytes), 1, ' MB')} (idle: live ${mb(idle.liveBytes.median)} MB, RSS ${mb(idle.rssBytes.median)} MB)`);
      }
      // The runs are not followed to their end: the node stops with them (delivery is measured elsewhere).
      const figures: Figure[] = readings.map((r) => ({
        name: `memory per active run, ${r.runs} streaming at once`,
        unit: 'KB',
        tally: (r.liveBytes.median - idle.liveBytes.median) / r.runs / 1024,
        ...(r.live < r.runs ? { failures: [`only ${r.live} of ${r.runs} runs were streaming when memory was read`] } : {}),
        note:
          `Live memory (V8 heap in use + external, after a full GC) with ${r.live} runs streaming (${DELTAS} deltas, ${PACE_MS} ms apart) minus the same with none, over ${r.runs}; ` +
          `with ${r.runs}: ${spreadText(mbOf(r.liveBytes), 1, ' MB')}, with none: ${spreadText(mbOf(idle.liveBytes), 1, ' MB')} (${READINGS} GC'd readings a second apart each). ` +
          `RSS the same way: ${((r.rssBytes.median - idle.rssBytes.median) / r.runs / 1024).toFixed(1)} KB a run (${mb(r.rssBytes.median)} against ${mb(idle.rssBytes.median)} MB; RSS keeps freed pages, so it is not the figure). ` +
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

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const mbOf = (spread: RoundSpread): RoundSpread => ({ ...spread, median: spread.median / 1024 / 1024, min: spread.min / 1024 / 1024, max: spread.max / 1024 / 1024 });
