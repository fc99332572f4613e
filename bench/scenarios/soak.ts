import { deliverRuns, openSockets, tallyTarget } from '../lib/delivery-load.js';
import { createLatencyHistogram } from '../lib/histogram.js';
import { closeLoadUsers, prepareLoadUsers } from '../lib/in-process-tally-load.js';
import { startMockLlm } from '../lib/mock-llm.js';
import type { Scenario } from '../lib/scenario.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';
import { startTally } from '../lib/tally-process.js';
import type { BenchSocket } from '../lib/ws-client.js';

const MINUTES = 10;
const CONCURRENT = 100;

/**
 * Ten minutes of steady load (100 runs at a time, each the pipeline and 100 deltas at 50/s, a
 * new run as soon as one ends), RSS read from /proc every 15 s. Growth is measured from the
 * first minute's end (start-up and JIT settled) to the end, after a full GC at both points.
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
      let settled: number | undefined;
      const samples: number[] = [];
      const sampler = setInterval(() => void tally.rss().then((rss) => samples.push(rss)), 15_000);
      const settle = setTimeout(() => void tally.probe({ gc: true }).then((p) => (settled = p.rssBytes)), 60_000);
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
      clearTimeout(settle);
      const final = (await tally.probe({ gc: true })).rssBytes;
      const base = settled ?? samples[3] ?? final;
      const growth = ((final - base) / base) * 100;
      const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
      ctx.log(`${runs} runs; RSS ${mb(base)} MB after 1 min, ${mb(final)} MB at the end; samples ${samples.map(mb).join(' ')}`);
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
            note: `${runs} runs, ${CONCURRENT} at a time; RSS (after a full GC) ${mb(base)} MB at 1 min, ${mb(final)} MB at the end; 15-s samples (MB): ${samples.map(mb).join(' ')}. Delivery p99 ${s.p99.toFixed(2)} ms over the soak.`,
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
