/**
 * Others' streams while an exporter pushes (issue 18): 50 other users stream runs (100 deltas at
 * 50/s each, from the mock LLM) on `tally serve` with its embedded defaults, while one workspace's
 * OTLP exporter pushes 512-span protobuf requests as fast as the node takes them (8 in flight, the
 * busy setting of otlp-ingest). Measured against the same streaming load with no exporter, in
 * alternating rounds: the bystanders' delta delivery p99 (LLM write to client). Target: at most
 * 1.5x the figure without the exporter. The spans/s the exporter achieved during each loaded round
 * is reported beside it (the load actually put on the node).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mapLimited } from '../lib/concurrency.js';
import { createBenchUsers } from '../lib/bench-users.js';
import { deliverRuns, offeredRate, type DeliveryRound, type OfferedLoad } from '../lib/delivery-load.js';
import { addPhases, emptyPhases, phasesText } from '../lib/first-token-phases.js';
import { createLatencyHistogram, p99Shortfall } from '../lib/histogram.js';
import { closeLoadUsers, prepareLoadUsers } from '../lib/in-process-tally-load.js';
import { startMockLlm } from '../lib/mock-llm.js';
import { cpuSharesText, readCpuMs, readCpuReading, sharesBetween } from '../lib/process-stats.js';
import { startOtlpLoadExporter } from '../lib/otlp-exporter.js';
import { alternate, roundsOf, spreadOf, spreadText } from '../lib/round-stats.js';
import type { BenchContext, Figure, Scenario, ScenarioResult } from '../lib/scenario.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';
import { startTally } from '../lib/tally-process.js';
import { BenchSocket } from '../lib/ws-client.js';
import { makeRounds } from './otlp-ingest.js';

const BYSTANDERS = 50;
const DELTAS = 100;
const DELTA_DELAY_MS = 20;
const LOAD: OfferedLoad = { runs: BYSTANDERS, deltasPerRun: DELTAS, deltaDelayMs: DELTA_DELAY_MS, spreadMs: 1_000 };
const EXPORTER_IN_FLIGHT = 8;
/**
 * Fresh requests per loaded round (replayed spans would be cheap duplicates): a round lasts ~4-5 s
 * with the exporter's head start, and 300 x 512 spans covers ~30,000 spans/s over it; a round whose
 * pool runs dry fails the scenario.
 */
const REQUESTS_PER_ROUND = 300;

export const otlpBystanders: Scenario = { name: 'otlp-bystanders', quick: true, run };

interface Side {
  delivery: DeliveryRound[];
  /** Who used the machine over each round: each process's share of one core, and the machine's busy share. */
  cpu: Array<ReturnType<typeof sharesBetween>>;
  /**
   * The event loops' worst delays over each round (ms): the node's main thread and the harness's
   * own, whose stalls delay the receipt it times as much as the node's do.
   */
  loopMax: Array<{ node: number; harness: number }>;
  /** The node's main-thread full collections over each round, and their pauses' total (ms). */
  fullGcs: Array<{ count: number; pauseMs: number }>;
  /** Spans/s the exporter had stored (answered 200) over each loaded round. */
  spansPerSecond: number[];
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const rounds = roundsOf(ctx.profile, 3, 5);
  const exporter = await startOtlpLoadExporter({ rounds, requestsPerRound: REQUESTS_PER_ROUND });
  const llm = await startMockLlm({ deltas: DELTAS, deltaDelayMs: DELTA_DELAY_MS });
  const node = await startTally({ llmBaseUrl: llm.url, startTimeoutMs: 180_000 });
  let sockets: BenchSocket[] = [];
  try {
    const [exporting] = await createBenchUsers(node.url, 1);
    const load = await prepareLoadUsers(node.url, node.wsUrl, BYSTANDERS);
    await closeLoadUsers(load);
    sockets = await mapLimited(load, 16, (l) => BenchSocket.open(node.wsUrl, { protocols: ['tally.v1', `bearer.${l.user.accessToken}`] }));
    // A warm-up of each kind (the reader thread starts with the first export): nothing measured.
    await deliverRuns(sockets, { runs: BYSTANDERS, spreadMs: LOAD.spreadMs, timeoutMs: 120_000 });
    const url = `${node.url}/v1/otlp/v1/traces`;
    const warmUp = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${exporting!.accessToken}`, 'content-type': 'application/x-protobuf' },
      body: makeRounds(1, 1, { priced: false })[0]!.requests[0]!,
    });
    if (!warmUp.ok) throw new Error(`the warm-up export answered ${warmUp.status}`);

    const without: Side = { delivery: [], cpu: [], loopMax: [], fullGcs: [], spansPerSecond: [] };
    const pushing: Side = { delivery: [], cpu: [], loopMax: [], fullGcs: [], spansPerSecond: [] };
    const harnessLoop = monitorEventLoopDelay({ resolution: 1 });
    harnessLoop.enable();
    /** Starts a round's window on both loops; its end reads the worst delay of each, and the node's full collections. */
    const loopWindow = async () => {
      await node.probe({ resetLoopDelay: true });
      harnessLoop.reset();
      return async (side: Side) => {
        const probe = await node.probe();
        side.loopMax.push({ node: probe.loopDelay.max, harness: harnessLoop.max / 1e6 });
        side.fullGcs.push({ count: probe.gc.major, pauseMs: probe.gc.majorPauseMs });
      };
    };
    const cpuReaders = {
      node: () => readCpuMs(node.pid),
      exporter: () => readCpuMs(exporter.pid),
      'mock LLM': () => readCpuMs(llm.pid),
      harness: () => readCpuMs(process.pid),
    };
    let refused = 0;
    for (let round = 0; round < rounds; round++) {
      for (const withExporter of alternate(round, false, true)) {
        if (!withExporter) {
          const loops = await loopWindow();
          const before = await readCpuReading(cpuReaders);
          without.delivery.push(await deliverRuns(sockets, { runs: BYSTANDERS, spreadMs: LOAD.spreadMs, timeoutMs: 120_000 }));
          without.cpu.push(sharesBetween(before, await readCpuReading(cpuReaders)));
          await loops(without);
        } else {
          await exporter.push(round, { url, token: exporting!.accessToken, inFlight: EXPORTER_IN_FLIGHT });
          const loops = await loopWindow();
          const before = await readCpuReading(cpuReaders);
          const delivery = await deliverRuns(sockets, { runs: BYSTANDERS, spreadMs: LOAD.spreadMs, timeoutMs: 120_000 });
          pushing.cpu.push(sharesBetween(before, await readCpuReading(cpuReaders)));
          await loops(pushing);
          const pushed = await exporter.stop();
          refused += pushed.refused;
          pushing.delivery.push(delivery);
          pushing.spansPerSecond.push(pushed.stored / pushed.seconds);
        }
        const side = withExporter ? pushing : without;
        const last = side.delivery.at(-1)!;
        ctx.log(
          `  round ${round + 1}/${rounds} ${withExporter ? 'with' : 'without'} the exporter: delivery p99 ${last.latency.summary().p99.toFixed(1)} ms, ` +
            `chunks ${(last.chunksDelivered / last.wallSeconds).toFixed(0)}/s of ${offeredRate(LOAD).toFixed(0)}/s offered, ` +
            `time to first token p50/p99 ${last.sendToFirstDelta.summary().p50.toFixed(0)}/${last.sendToFirstDelta.summary().p99.toFixed(0)} ms` +
            (withExporter ? `, exporter ${Math.round(pushing.spansPerSecond.at(-1)!).toLocaleString('en-US')} spans/s stored` : '') +
            `; worst loop delay node ${side.loopMax.at(-1)!.node.toFixed(0)} ms, harness ${side.loopMax.at(-1)!.harness.toFixed(0)} ms` +
            `; the node's full collections ${side.fullGcs.at(-1)!.count} (${side.fullGcs.at(-1)!.pauseMs.toFixed(0)} ms of final pauses)` +
            `; CPU (% of a core) ${Object.entries(side.cpu.at(-1)!.percentOfOneCore).map(([name, percent]) => `${name} ${percent.toFixed(0)}`).join(', ')}, machine ${side.cpu.at(-1)!.machineBusyPercent.toFixed(0)} % busy`,
        );
      }
    }
    harnessLoop.disable();
    return { scenario: 'otlp-bystanders', figures: [figure(pushing, without, rounds, refused), firstTokenFigure(pushing, without, rounds)] };
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await node.close();
    await llm.close();
    await exporter.close();
  }
}

function figure(pushing: Side, without: Side, rounds: number, refused: number): Figure {
  const merged = (side: Side) => {
    const h = createLatencyHistogram();
    for (const r of side.delivery) h.add(r.latency);
    return h.summary();
  };
  const withExporter = merged(pushing);
  const idle = merged(without);
  const rate = spreadOf(pushing.spansPerSecond);
  const achieved = (side: Side) => side.delivery.reduce((n, r) => n + r.chunksDelivered, 0) / side.delivery.reduce((n, r) => n + r.wallSeconds, 0);
  const unfinished = [...pushing.delivery, ...without.delivery].reduce((n, r) => n + r.unfinished + r.failed, 0);
  const failures = [
    ...(unfinished > 0 ? [`${unfinished} bystander run(s) failed or did not finish`] : []),
    ...(refused > 0 ? [`${refused} export(s) refused with 429/503 (the exporter pushed more than the node takes; not retried here)`] : []),
  ];
  return {
    name: `others' delivery p99 while an OTLP exporter pushes (${EXPORTER_IN_FLIGHT} in flight), embedded`,
    unit: 'ms',
    tally: withExporter.p99,
    baseline: idle.p99,
    baselineName: 'the same streaming load with no exporter',
    target: { maxRatio: 1.5 },
    integrity: [...pushing.delivery, ...without.delivery].reduce((sum, r) => addIntegrity(sum, r.integrity), emptyIntegrity()),
    note:
      `${rounds} alternating rounds: ${BYSTANDERS} other users' runs of ${DELTAS} deltas at ${1000 / DELTA_DELAY_MS}/s over ${LOAD.spreadMs / 1000} s, ` +
      `chunks offered ${offeredRate(LOAD).toFixed(0)}/s, delivered ${achieved(pushing).toFixed(0)}/s with the exporter and ${achieved(without).toFixed(0)}/s without; ` +
      `the exporter (its own process, one workspace, 512-span protobuf requests, as fast as answered, from 0.5 s before the runs) stored ${spreadText(rate, 0)} spans/s; ` +
      `p50 ${withExporter.p50.toFixed(1)} vs ${idle.p50.toFixed(1)} ms; \`tally serve\` on its embedded defaults. ` +
      `CPU over the rounds (% of one core, median round) with the exporter: ${cpuSharesText(pushing.cpu)}; without: ${cpuSharesText(without.cpu)}. ` +
      `Worst event-loop delay by round, with the exporter: the node's main thread ${loopMaxText(pushing, 'node')}, the harness ${loopMaxText(pushing, 'harness')}; ` +
      `without: ${loopMaxText(without, 'node')} and ${loopMaxText(without, 'harness')}. ` +
      `The node's main-thread full collections by round (final pauses): with the exporter ${fullGcText(pushing)}; without: ${fullGcText(without)}`,
    ...(failures.length > 0 ? { failures } : {}),
  };
}

/**
 * What the exporter costs others before their answer streams: the time from send_message to a
 * run's first delta, with its phases. Issue 18 sets no target on it; the delivery figure's rounds
 * deliver fewer chunks a second than offered while the exporter pushes because runs start later,
 * and this says by how much and where (their claims and reads share the store with the inserts).
 */
function firstTokenFigure(pushing: Side, without: Side, rounds: number): Figure {
  const merged = (side: Side) => {
    const h = createLatencyHistogram();
    const phases = emptyPhases();
    for (const r of side.delivery) {
      h.add(r.sendToFirstDelta);
      addPhases(phases, r.firstTokenPhases);
    }
    return { summary: h.summary(), phases: phasesText(phases) };
  };
  const withExporter = merged(pushing);
  const idle = merged(without);
  const shortfall = p99Shortfall({ count: Math.min(withExporter.summary.count, idle.summary.count) }, 'runs a side');
  return {
    name: `others' time to first token p99 while an OTLP exporter pushes (${EXPORTER_IN_FLIGHT} in flight), embedded`,
    unit: 'ms',
    tally: withExporter.summary.p99,
    baseline: idle.summary.p99,
    baselineName: 'the same streaming load with no exporter',
    note:
      `the same ${rounds} alternating rounds as the delivery figure, ${withExporter.summary.count} and ${idle.summary.count} runs: send_message to the run's first delta; ` +
      `p50 ${withExporter.summary.p50.toFixed(0)} vs ${idle.summary.p50.toFixed(0)} ms. By phase (p50/p99 ms), with the exporter: ${withExporter.phases}; without: ${idle.phases}` +
      (shortfall ? `. ${shortfall}` : ''),
  };
}

function loopMaxText(side: Side, loop: 'node' | 'harness'): string {
  return `${side.loopMax.map((l) => l[loop].toFixed(0)).join(', ')} ms`;
}

function fullGcText(side: Side): string {
  return side.fullGcs.map((g) => `${g.count} (${g.pauseMs.toFixed(0)} ms)`).join(', ');
}
