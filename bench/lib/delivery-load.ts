import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { WS_BEARER_PREFIX, WS_SUBPROTOCOL } from '@tally/protocol';
import type { BenchUser } from './bench-users.js';
import { mapLimited, sleep } from './concurrency.js';
import { emptyPhases, recordPhases, type FirstTokenPhases } from './first-token-phases.js';
import { createLatencyHistogram, type LatencyHistogram } from './histogram.js';
import { addIntegrity, emptyIntegrity, type Integrity } from './seq-tracker.js';
import { wallNow } from './mock-llm.js';
import { BenchSocket, type RunWatch } from './ws-client.js';

/** Where a delivery load goes: Tally (authenticated sockets) or the bare ws baseline. */
export interface DeliveryTarget {
  name: string;
  open(index: number): Promise<BenchSocket>;
}

export function tallyTarget(wsUrl: string, users: BenchUser[]): DeliveryTarget {
  return {
    name: 'tally',
    open: (i) => BenchSocket.open(wsUrl, { protocols: [WS_SUBPROTOCOL, WS_BEARER_PREFIX + users[i % users.length]!.accessToken] }),
  };
}

export function bareTarget(wsUrl: string): DeliveryTarget {
  return { name: 'bare ws', open: () => BenchSocket.open(wsUrl) };
}

export interface DeliveryRound {
  latency: LatencyHistogram;
  integrity: Integrity;
  runs: number;
  /** Runs whose terminal event did not arrive within the round's time limit. */
  unfinished: number;
  /** Runs that ended with run_failed or run_cancelled. */
  failed: number;
  /** send_message commands the node refused (by error code, e.g. SERVICE_UNAVAILABLE when its pool wait ran out). */
  refused: Map<string, number>;
  /** Every frame of the first run, when asked (the baseline's template). */
  firstRunFrames?: string[];
  /** The runs as followed (e.g. for a slow reader to subscribe to). */
  watches: RunWatch[];
  /** Per run, from send_message leaving the client to its first message_delta arriving. */
  sendToFirstDelta: LatencyHistogram;
  /** The same time split by phase (queue and claim, triage, usage reads, analysis, the answer's request), from the events' server times. */
  firstTokenPhases: FirstTokenPhases;
  /** LLM chunks received in all (each stamped piece of delta text; Tally may join several into one delta). */
  chunksDelivered: number;
  /** Seconds from the first send_message to the last terminal event (or the time limit). */
  wallSeconds: number;
  /** Most runs streaming at once (first delta received, terminal event not yet), as the clients saw them. */
  peakLive: number;
}

/** What an open-loop round offers: its runs' deltas over its nominal length (the spread plus one run's stream). */
export interface OfferedLoad {
  runs: number;
  deltasPerRun: number;
  deltaDelayMs: number;
  spreadMs: number;
}

export function nominalSeconds(load: OfferedLoad): number {
  return (load.spreadMs + load.deltasPerRun * load.deltaDelayMs) / 1000;
}

export function offeredRate(load: OfferedLoad): number {
  return (load.runs * load.deltasPerRun) / nominalSeconds(load);
}

/** The most intervals [start, end) open at once (a sweep over their ends). */
export function peakOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const edges = intervals.flatMap(([start, end]) => [[start, 1] as const, [end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let live = 0;
  let peak = 0;
  for (const [, step] of edges) {
    live += step;
    if (live > peak) peak = live;
  }
  return peak;
}

/**
 * `runs` concurrent runs, one per socket (a person's tab), started evenly over `spreadMs` so
 * their streams overlap as independent people's would rather than tick in lock-step; each run
 * is followed to its terminal event. Latency: every delta's receive time minus the time the
 * LLM (or the bare server) wrote it.
 */
export async function deliverRuns(
  sockets: BenchSocket[],
  options: {
    runs: number;
    spreadMs: number;
    timeoutMs: number;
    keepFirstRunFrames?: boolean;
    onStarted?: (watch: RunWatch, index: number) => void;
    /** The question of run i; by default one the rules read surely (triage asks the LLM nothing). */
    question?: (index: number) => string;
  },
): Promise<DeliveryRound> {
  const latency = createLatencyHistogram();
  const sendToFirstDelta = createLatencyHistogram();
  const firstTokenPhases = emptyPhases();
  const watches: RunWatch[] = [];
  const started = performance.now();
  const startedWall = wallNow();
  let lastEndWall = startedWall;
  const deadline = sleep(options.timeoutMs).then(() => 'timeout' as const);
  let integrity = emptyIntegrity();
  let unfinished = 0;
  let failed = 0;
  const refused = new Map<string, number>();
  await Promise.all(
    Array.from({ length: options.runs }, async (_, i) => {
      const socket = sockets[i % sockets.length]!;
      const wait = started + (i * options.spreadMs) / options.runs - performance.now();
      if (wait > 0) await sleep(wait);
      // Open loop: each run is asked for at its own time, whether or not the server keeps up with the others.
      const sentAt = wallNow();
      let ack: Record<string, unknown>;
      try {
        ack = await socket.command('send_message', { text: options.question?.(i) ?? `Where is my AI money going? (bench ${i})` });
      } catch (error) {
        // An open-loop client is told no: counted, not fatal to the round (the figure says it).
        const code = String(error instanceof Error ? error.message : error).split(':')[0]!;
        refused.set(code, (refused.get(code) ?? 0) + 1);
        return;
      }
      const watch = socket.watch(String(ack['runId']), { latency, keepFrames: options.keepFirstRunFrames === true && i === 0 });
      watches[i] = watch;
      options.onStarted?.(watch, i);
      const outcome = await Promise.race([watch.done.then(() => 'done' as const), deadline]);
      socket.runs.delete(watch.runId);
      if (watch.firstDeltaAt !== undefined) sendToFirstDelta.recordMs(watch.firstDeltaAt - sentAt);
      recordPhases(firstTokenPhases, watch, sentAt);
      if (outcome === 'timeout') {
        unfinished++;
        lastEndWall = Math.max(lastEndWall, startedWall + options.timeoutMs);
        return;
      }
      lastEndWall = Math.max(lastEndWall, watch.terminalAt ?? wallNow());
      if (watch.terminalType !== 'run_completed') failed++;
      integrity = addIntegrity(integrity, watch.tracker.integrity(watch.terminalSeq!));
    }),
  );
  // A run that never ended lost at least its terminal event.
  integrity.lost += unfinished;
  const live = watches.filter((w) => w?.firstDeltaAt !== undefined).map((w) => [w.firstDeltaAt!, w.terminalAt ?? Infinity] as const);
  return {
    latency,
    integrity,
    runs: options.runs,
    unfinished,
    failed,
    refused,
    watches,
    sendToFirstDelta,
    firstTokenPhases,
    chunksDelivered: watches.reduce((n, w) => n + (w?.chunks ?? 0), 0),
    wallSeconds: (lastEndWall - startedWall) / 1000,
    peakLive: peakOverlap(live),
    ...(options.keepFirstRunFrames ? { firstRunFrames: watches[0]?.frames ?? [] } : {}),
  };
}

export async function openSockets(target: DeliveryTarget, count: number): Promise<BenchSocket[]> {
  return mapLimited(Array.from({ length: count }, (_, i) => i), 32, (i) => target.open(i));
}

/** The frames of a Tally run as the bare ws server's template file (type and data per line). */
export async function writeRunTemplate(frames: string[]): Promise<string> {
  const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'tally-bench-template-')), 'run.ndjson');
  const lines = frames.map((raw) => {
    const { type, data } = JSON.parse(raw) as { type: string; data: unknown };
    return JSON.stringify({ type, data });
  });
  await fs.writeFile(file, lines.join('\n') + '\n');
  return file;
}

/** A figure's failure when the node refused runs of its load (the load was not what its name says). */
export function refusalFailures(rounds: readonly DeliveryRound[]): string[] {
  const all = new Map<string, number>();
  for (const r of rounds) for (const [code, n] of r.refused) all.set(code, (all.get(code) ?? 0) + n);
  const total = [...all.values()].reduce((a, b) => a + b, 0);
  return total > 0 ? [`${total} send_message refused by the node (${[...all].map(([code, n]) => `${n} ${code}`).join(', ')})`] : [];
}
