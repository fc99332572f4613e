import { createLatencyHistogram } from '../lib/histogram.js';
import { benchPostgresUrl } from '../lib/in-process-tally.js';
import { startTallyChild } from '../lib/in-process-tally-child.js';
import { closeLoadUsers, prepareLoadUsers, runLoad } from '../lib/in-process-tally-load.js';
import { countWrites } from '../lib/in-process-write-counts.js';
import { startMockLlm } from '../lib/mock-llm.js';
import type { Scenario } from '../lib/scenario.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';

/**
 * What persistence costs: the same node with the product's SQL event log ("on") and with the
 * run's streamed events kept in memory ("off", composed in bench code through the composition
 * root's `runEventLog`; see in-process-tally.ts), side by side, rounds alternating. Delivery
 * latency of paced deltas (50/s) and runs/s with a zero-delay LLM; the "on" node's event-log
 * writes are counted by a wrapper around its log.
 */
export const persistence: Scenario = {
  name: 'persistence',
  quick: true,
  async run(ctx) {
    const full = ctx.profile === 'full';
    const sizes = { users: full ? 40 : 12, paced: full ? 500 : 100, concurrency: full ? 128 : 48, roundMs: full ? 8_000 : 4_000, rounds: full ? 3 : 2 };
    const mock = await startMockLlm({ deltas: 100, deltaDelayMs: 20 });
    const nodes = {
      on: await startTallyChild({ postgresUrl: benchPostgresUrl(), llmBaseUrl: mock.url, eventLog: 'sql', workerConcurrency: sizes.paced + 8 }),
      off: await startTallyChild({ postgresUrl: benchPostgresUrl(), llmBaseUrl: mock.url, eventLog: 'memory', workerConcurrency: sizes.paced + 8 }),
    };
    try {
      const users = { on: await prepareLoadUsers(nodes.on.baseUrl, nodes.on.wsUrl, sizes.users), off: await prepareLoadUsers(nodes.off.baseUrl, nodes.off.wsUrl, sizes.users) };
      const latency = { on: createLatencyHistogram(), off: createLatencyHistogram() };
      const rate = { on: { runs: 0, seconds: 0 }, off: { runs: 0, seconds: 0 } };
      let integrity = emptyIntegrity();
      let failed = 0;
      for (const side of ['on', 'off'] as const) await runLoad(users[side], { concurrency: 8, durationMs: 1_000, paceMs: 0 });
      await nodes.on.writes(true);
      const pacedWrites = [];
      const fastWrites = [];
      for (let round = 0; round < sizes.rounds; round++) {
        for (const side of ['on', 'off'] as const) {
          const paced = await runLoad(users[side], { concurrency: sizes.paced, durationMs: sizes.roundMs, latency: latency[side], paceMs: 20 });
          if (side === 'on') pacedWrites.push(...(await nodes.on.writes(true)));
          const fast = await runLoad(users[side], { concurrency: sizes.concurrency, durationMs: sizes.roundMs, paceMs: 0 });
          if (side === 'on') fastWrites.push(...(await nodes.on.writes(true)));
          rate[side].runs += fast.completed;
          rate[side].seconds += fast.completed / fast.runsPerSecond;
          failed += paced.failed + fast.failed;
          integrity = addIntegrity(addIntegrity(integrity, paced.integrity), fast.integrity);
          ctx.log(`round ${round + 1} ${side}: delivery p99 ${latency[side].summary().p99.toFixed(1)} ms so far, ${fast.runsPerSecond.toFixed(0)} runs/s`);
        }
      }
      await closeLoadUsers([...users.on, ...users.off]);
      const on = latency.on.summary();
      const off = latency.off.summary();
      const streaming = countWrites(pacedWrites);
      const quick = countWrites(fastWrites);
      const sizeNote = `${sizes.users} users per node, ${sizes.rounds} alternating rounds of ${sizes.roundMs / 1000} s per measure; PostgreSQL, in-process bus; "off" keeps each run's streamed events in memory (its start and end transactions are the same as "on").`;
      return {
        scenario: 'persistence',
        figures: [
          {
            name: `delivery p99, persistence on vs off, ${sizes.paced} runs at 50 deltas/s`,
            unit: 'ms',
            tally: round2(on.p99),
            baseline: round2(off.p99),
            baselineName: 'same node, event log in memory',
            target: { maxRatio: 1.15 },
            integrity,
            note: `LLM sent a delta to client received it; p50 ${round2(on.p50)} vs ${round2(off.p50)} ms over ${on.count} and ${off.count} deltas. ${sizeNote} ${failed} runs did not complete.`,
          },
          {
            name: `runs per second, persistence on vs off, zero-delay LLM, ${sizes.concurrency} in flight`,
            unit: 'runs/s',
            tally: round2(rate.on.runs / rate.on.seconds),
            baseline: round2(rate.off.runs / rate.off.seconds),
            baselineName: 'same node, event log in memory',
            target: { minRatio: 0.9 },
            note: sizeNote,
          },
          {
            name: 'event-log writes of one run per 250 ms while it streams (most seen)',
            unit: 'count',
            tally: streaming.maxStreamWritesPer250ms,
            target: { max: 1 },
            note: `Counted by a wrapper around the node's SQL run event log over ${streaming.runs} paced runs (100 deltas at 50/s): ${streaming.meanStreamWrites.toFixed(1)} writes per run by the run's writer on average, at most ${streaming.maxEventsPerWrite} events in one write.`,
          },
          {
            name: quick.shortRuns > 0 ? 'transactions writing events of a run that completes within 250 ms (most seen)' : 'transactions writing events of a zero-delay run (most seen; none completed within 250 ms)',
            unit: 'count',
            tally: quick.shortRuns > 0 ? quick.maxTransactionsShortRun : quick.maxTransactions,
            target: { max: 3 },
            note: `${quick.shortRuns} of ${quick.runs} zero-delay runs wrote all their events within 250 ms; counted: the start transaction (run_queued), each write of the run's writer, the end transaction (terminal event). ${quick.meanStreamWrites.toFixed(1)} writer writes per zero-delay run on average.`,
          },
        ],
      };
    } finally {
      await Promise.all([nodes.on.close(), nodes.off.close()]);
      await mock.close();
    }
  },
};

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
