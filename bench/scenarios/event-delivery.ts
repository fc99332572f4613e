import { startBareWs } from '../lib/bare-ws-process.js';
import { bareTarget, deliverRuns, openSockets, tallyTarget, writeRunTemplate, type DeliveryRound } from '../lib/delivery-load.js';
import { createLatencyHistogram } from '../lib/histogram.js';
import { closeLoadUsers, prepareLoadUsers } from '../lib/in-process-tally-load.js';
import { startMockLlm } from '../lib/mock-llm.js';
import type { Figure, Scenario } from '../lib/scenario.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';
import { startTally } from '../lib/tally-process.js';
import type { BenchSocket } from '../lib/ws-client.js';

const USERS = 50;
const SPREAD_MS = 2_000;

/**
 * Event delivery under load: N concurrent runs (the pipeline's events, then 100 deltas at 50/s
 * from the mock LLM), one socket per run, against the bare ws server emitting the same frames on
 * the same schedule. Latency is per delta: receive time minus the time the LLM wrote it (the
 * mock LLM, and the bare server, stamp each delta with the wall clock). Rounds alternate.
 */
export const eventDelivery: Scenario = {
  name: 'event-delivery',
  quick: true,
  async run(ctx) {
    const full = ctx.profile === 'full';
    const sizes: Array<{ runs: number; rounds: number; targetP99: number; maxRatio?: number }> = full
      ? [
          { runs: 500, rounds: 3, targetP99: 10, maxRatio: 2.5 },
          { runs: 1000, rounds: 2, targetP99: 30 },
        ]
      : [{ runs: 500, rounds: 2, targetP99: 10, maxRatio: 2.5 }];
    const maxRuns = Math.max(...sizes.map((s) => s.runs));
    const llm = await startMockLlm({ deltas: 100, deltaDelayMs: 20 });
    const tally = await startTally({ llmBaseUrl: llm.url, database: 'postgres' });
    let bare: Awaited<ReturnType<typeof startBareWs>> | undefined;
    const sockets: BenchSocket[] = [];
    try {
      ctx.log(`${USERS} users with a week of usage each`);
      const loadUsers = await prepareLoadUsers(tally.url, tally.wsUrl, USERS);
      await closeLoadUsers(loadUsers);
      const tallySockets = await openSockets(tallyTarget(tally.wsUrl, loadUsers.map((l) => l.user)), maxRuns);
      sockets.push(...tallySockets);
      // Warm-up, and one run's frames as the baseline's template: the same envelopes, in the same order.
      const warm = await deliverRuns(tallySockets, { runs: 50, spreadMs: 500, timeoutMs: 60_000, keepFirstRunFrames: true });
      ctx.log(`warm-up: ${warm.runs} runs, p99 ${warm.latency.summary().p99.toFixed(2)} ms; template of ${warm.firstRunFrames?.length} frames`);
      bare = await startBareWs({ template: await writeRunTemplate(warm.firstRunFrames ?? []), deltaDelayMs: 20 });
      const bareSockets = await openSockets(bareTarget(bare.wsUrl), maxRuns);
      sockets.push(...bareSockets);
      await deliverRuns(bareSockets, { runs: 50, spreadMs: 500, timeoutMs: 60_000 });

      const figures: Figure[] = [];
      for (const size of sizes) {
        const harnessCpu = { tally: [] as number[], bare: [] as number[] };
        const roundSeconds = { tally: [] as number[], bare: [] as number[] };
        const tallyRounds: DeliveryRound[] = [];
        const bareRounds: DeliveryRound[] = [];
        for (let round = 1; round <= size.rounds; round++) {
          const order = round % 2 === 1 ? (['tally', 'bare'] as const) : (['bare', 'tally'] as const);
          for (const which of order) {
            const target = which === 'tally' ? { sockets: tallySockets, process: tally } : { sockets: bareSockets, process: bare };
            await target.process.probe({ resetLoopDelay: true });
            const cpuBefore = process.cpuUsage();
            const wallBefore = performance.now();
            const result = await deliverRuns(target.sockets, { runs: size.runs, spreadMs: SPREAD_MS, timeoutMs: 120_000 });
            const loop = await target.process.probe();
            const cpu = process.cpuUsage(cpuBefore);
            // The harness is the client of every socket: how busy it was says whether it, not the server, set the pace.
            roundSeconds[which].push((performance.now() - wallBefore) / 1000);
            harnessCpu[which].push(((cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore)) * 100);
            const s = result.latency.summary();
            ctx.log(
              `${size.runs} runs, round ${round}/${size.rounds}, ${which}: p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(1)} ms over ${s.count} deltas; ` +
                `loop delay p99 ${loop.loopDelay.p99.toFixed(1)} ms; unfinished ${result.unfinished}, failed ${result.failed}`,
            );
            (which === 'tally' ? tallyRounds : bareRounds).push(result);
          }
        }
        const figure = figureOf(size, tallyRounds, bareRounds);
        const most = (values: number[]) => Math.max(...values).toFixed(0);
        // The load needs ~spread + 100 × 20 ms ≈ 4 s a round; a round much longer means the server fell behind its runs.
        figure.note += ` Rounds took ${roundSeconds.tally.map((x) => x.toFixed(0)).join(', ')} s with Tally, ${roundSeconds.bare.map((x) => x.toFixed(0)).join(', ')} s with bare ws (the load alone needs ~4 s).`;
        figure.note += ` Harness CPU during the rounds (the client of every socket): up to ${most(harnessCpu.tally)} % of a core against Tally, ${most(harnessCpu.bare)} % against bare ws.`;
        figures.push(figure);
      }
      return { scenario: 'event-delivery', figures };
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
      await Promise.all([tally.close(), bare?.close(), llm.close()]);
    }
  },
};

function figureOf(size: { runs: number; rounds: number; targetP99: number; maxRatio?: number }, tallyRounds: DeliveryRound[], bareRounds: DeliveryRound[]): Figure {
  const merge = (rounds: DeliveryRound[]) => {
    const latency = createLatencyHistogram();
    let integrity = emptyIntegrity();
    for (const r of rounds) {
      latency.add(r.latency);
      integrity = addIntegrity(integrity, r.integrity);
    }
    return { latency: latency.summary(), integrity, failed: rounds.reduce((n, r) => n + r.failed, 0), unfinished: rounds.reduce((n, r) => n + r.unfinished, 0) };
  };
  const t = merge(tallyRounds);
  const b = merge(bareRounds);
  return {
    name: `event delivery p99, ${size.runs} concurrent runs`,
    unit: 'ms',
    tally: t.latency.p99,
    baseline: b.latency.p99,
    baselineName: 'bare ws server, same frames and schedule',
    target: { max: size.targetP99, ...(size.maxRatio ? { maxRatio: size.maxRatio } : {}) },
    integrity: t.integrity,
    note:
      `${size.rounds} alternating rounds; per delta, LLM write to client receive. Tally p50 ${t.latency.p50.toFixed(2)} ms, max ${t.latency.max.toFixed(1)} ms over ${t.latency.count} deltas; ` +
      `bare p50 ${b.latency.p50.toFixed(2)} ms, max ${b.latency.max.toFixed(1)} ms. Each run: the pipeline's events (triage with an LLM object, usage queries, analysis) and 100 deltas at 50/s; ` +
      `runs started evenly over ${SPREAD_MS / 1000} s, one socket each, ${USERS} users; PostgreSQL, in-process bus. Runs failed: ${t.failed}, unfinished: ${t.unfinished}. ` +
      `Bare-ws integrity ${b.integrity.lost}/${b.integrity.duplicated}/${b.integrity.reordered}.`,
  };
}
