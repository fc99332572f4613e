import { deliverRuns, openSockets, tallyTarget } from '../lib/delivery-load.js';
import { createLatencyHistogram } from '../lib/histogram.js';
import { slopeOf } from '../lib/round-stats.js';
import { closeLoadUsers, prepareLoadUsers } from '../lib/in-process-tally-load.js';
import { startMockLlm } from '../lib/mock-llm.js';
import type { Scenario } from '../lib/scenario.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';
import { startTally } from '../lib/tally-process.js';
import type { BenchSocket } from '../lib/ws-client.js';

const MINUTES = 10;
const CONCURRENT = 100;

/** How often RSS is read after a full GC while the load runs. */
const SAMPLE_MS = 30_000;

/**
 * Ten minutes of steady load (100 runs at a time, each the pipeline and 100 deltas at 50/s, a
 * new run as soon as one ends). Every 30 s, under that same load, a full GC and then RSS from
 * /proc. Growth compares samples at equal load: from the first after minute 1 (start-up and JIT
 * settled) to the last before the load stops, with the least-squares slope over all of them;
 * nothing is read after the load drained.
 */
export const soak: Scenario = {
  name: 'soak',
  quick: false,
  async run(ctx) {
    const llm = await startMockLlm({ deltas: 100, deltaDelayMs: 20 });
    const tally = await startTally({ llmBaseUrl: llm.url, database: 'postgres' });
    let sockets: BenchSocket[] = [];
    try {
      const loadUsers = await prepareLoadUsers(tally.url, tally.wsUrl, 50);
      await closeLoadUsers(loadUsers);
      sockets = await openSockets(tallyTarget(tally.wsUrl, loadUsers.map((l) => l.user)), CONCURRENT);
      const started = performance.now();
      const end = started + MINUTES * 60_000;
      const latency = createLatencyHistogram();
      let integrity = emptyIntegrity();
      let runs = 0;
      // [minutes since start, RSS after a full GC], taken while every socket has a run in flight.
      const samples: Array<[number, number]> = [];
      const sampler = setInterval(() => {
        const at = (performance.now() - started) / 60_000;
        if (at >= 1 && performance.now() < end - 5_000) void tally.probe({ gc: true }).then((p) => samples.push([at, p.rssBytes]));
      }, SAMPLE_MS);
      await Promise.all(
        sockets.map(async (socket) => {
          while (performance.now() < end) {
            const r = await deliverRuns([socket], { runs: 1, spreadMs: 0, timeoutMs: 60_000 });
            latency.add(r.latency);
            integrity = addIntegrity(integrity, r.integrity);
            runs++;
          }
        }),
      );
      clearInterval(sampler);
      if (samples.length < 2) throw new Error(`soak: ${samples.length} RSS samples under load, need at least 2`);
      const base = samples[0]![1];
      const final = samples.at(-1)![1];
      const growth = ((final - base) / base) * 100;
      const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
      const slopeMbPerMin = slopeOf(samples.map(([m, b]) => [m, b / 1024 / 1024] as const));
      ctx.log(`${runs} runs; RSS ${mb(base)} MB at ${samples[0]![0].toFixed(1)} min, ${mb(final)} MB at ${samples.at(-1)![0].toFixed(1)} min, both under load; slope ${slopeMbPerMin.toFixed(2)} MB/min`);
      const s = latency.summary();
      return {
        scenario: 'soak',
        figures: [
          {
            name: `RSS growth over a ${MINUTES}-minute soak`,
            unit: '%',
            tally: growth,
            target: { max: 10 },
            integrity,
            note:
              `${runs} runs, ${CONCURRENT} at a time; RSS after a full GC, every ${SAMPLE_MS / 1000} s under the same load: ${mb(base)} MB at ${samples[0]![0].toFixed(1)} min, ${mb(final)} MB at ${samples.at(-1)![0].toFixed(1)} min ` +
              `(least-squares slope ${slopeMbPerMin.toFixed(2)} MB/min over ${samples.length} samples: ${samples.map(([, b]) => mb(b)).join(' ')}). Delivery p99 ${s.p99.toFixed(2)} ms over the soak.`,
          },
        ],
      };
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
      await tally.close();
      await llm.close();
    }
  },
};
