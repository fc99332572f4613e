import { createBenchUsers, fetchTicket, type BenchUser } from '../lib/bench-users.js';
import { startBareWs } from '../lib/bare-ws-process.js';
import type { MeasuredProcess } from '../lib/child.js';
import { mapLimited, sleep } from '../lib/concurrency.js';
import { slopeOf, spreadOf, spreadText } from '../lib/round-stats.js';
import type { Figure, Scenario } from '../lib/scenario.js';
import { startTally } from '../lib/tally-process.js';
import { BenchSocket } from '../lib/ws-client.js';

interface Sample {
  bytesPerSocket: number;
  /** V8 heap in use (after a full GC) per socket: live JS objects only, no allocator slack. */
  heapBytesPerSocket: number;
  loopDelayP99: number;
  opened: number;
}

const SOCKETS_PER_USER = 50;
const WARM_UP_SOCKETS = 300;
/** The sockets are opened in this many equal steps, a GC'd reading after each. */
const STEPS = 5;

/**
 * Memory per idle authenticated socket: the least-squares slope of RSS over sockets held, read
 * after a full GC in the measured process with none and after each of 5 equal steps up to N,
 * Tally (ticket + upgrade) against the bare ws server.
 * Each round starts both processes afresh (freed heap is not given back to the OS, so a second
 * batch in one process would measure reuse, not cost) and warms their code paths up first. While
 * the sockets are held, the event-loop delay is read from inside the process, across one
 * heartbeat sweep of Tally's gateway (the heartbeat is set to fall inside the hold).
 */
export const idleConnections: Scenario = {
  name: 'idle-connections',
  quick: true,
  async run(ctx) {
    const full = ctx.profile === 'full';
    const sockets = full ? 15_000 : 5_000;
    // One round's RSS delta moves by several KB on this machine (5 to 10 KB seen for the same code): the median of three.
    const rounds = 3;
    const holdMs = full ? 12_000 : 6_000;
    const tallySamples: Sample[] = [];
    const bareSamples: Sample[] = [];
    for (let round = 1; round <= rounds; round++) {
      // Alternate which goes first, so neither always gets the quieter machine.
      const order = round % 2 === 1 ? (['tally', 'bare'] as const) : (['bare', 'tally'] as const);
      for (const which of order) {
        ctx.log(`round ${round}/${rounds}: ${which}, ${sockets} sockets`);
        const sample = which === 'tally' ? await measureTally(sockets, holdMs) : await measureBare(sockets, holdMs);
        ctx.log(`  ${(sample.bytesPerSocket / 1024).toFixed(2)} KB/socket RSS, ${(sample.heapBytesPerSocket / 1024).toFixed(2)} KB/socket V8 heap, loop delay p99 ${sample.loopDelayP99.toFixed(2)} ms`);
        (which === 'tally' ? tallySamples : bareSamples).push(sample);
      }
    }
    const kb = (samples: Sample[]) => spreadOf(samples.map((s) => s.bytesPerSocket / 1024)).median;
    const heapKb = (samples: Sample[]) => spreadOf(samples.map((s) => s.heapBytesPerSocket / 1024)).median;
    const kbSpread = (samples: Sample[]) => spreadText(spreadOf(samples.map((s) => s.bytesPerSocket / 1024)), 2, ' KB');
    const delay = (samples: Sample[]) => Math.max(...samples.map((s) => s.loopDelayP99));
    const figures: Figure[] = [
      {
        name: 'memory per idle authenticated socket',
        unit: 'KB',
        tally: kb(tallySamples),
        baseline: kb(bareSamples),
        baselineName: 'bare ws server',
        target: { max: 8, maxRatio: 1.4 },
        // A node whose RSS fell as the sockets were added (memory given back after start-up) gives
        // a slope at or below zero: not a reading of the sockets at all, so it can never pass.
        ...(tallySamples.some((s) => s.bytesPerSocket <= 0) || bareSamples.some((s) => s.bytesPerSocket <= 0)
          ? { failures: ['RSS fell as sockets were added in at least one round (a slope at or below zero), so the reading does not measure the sockets (see "Where a target is missed")'] }
          : {}),
        note:
          `Slope of RSS after a full GC over the sockets held (least squares through the settled reading with none, after a warm-up of ${WARM_UP_SOCKETS} sockets opened and closed, and a reading after each of ${STEPS} equal steps up to ${sockets}); the reading with none taken once RSS had settled (two GC'd readings a second apart within 1 MB) (${SOCKETS_PER_USER} per user, ticket + upgrade; Tally on PostgreSQL, whose memory is another process's), median of ${rounds} rounds, alternating which side goes first, fresh processes each round: Tally ${kbSpread(tallySamples)}, bare ws ${kbSpread(bareSamples)}. ` +
          `Live V8 heap per socket (after a full GC): Tally ${heapKb(tallySamples).toFixed(2)} KB, bare ws ${heapKb(bareSamples).toFixed(2)} KB.`,
      },
      {
        name: `event-loop delay p99, ${sockets} idle sockets`,
        unit: 'ms',
        tally: delay(tallySamples),
        baseline: delay(bareSamples),
        baselineName: 'bare ws server',
        target: { max: 10 },
        note: `monitorEventLoopDelay (1 ms resolution) inside the process over ${holdMs / 1000} s of holding, which includes a heartbeat sweep (ping + slot renewal of every socket); the maximum over the rounds.${full ? '' : ' Quick profile: 5,000 sockets (full: 15,000).'}`,
      },
    ];
    return { scenario: 'idle-connections', figures };
  },
};

async function measureTally(sockets: number, holdMs: number): Promise<Sample> {
  // A heartbeat sweep falls inside the stepped opening and the hold (which together last longer than
  // holdMs): the cost of 15,000 idle sockets includes pinging them. Not shorter: at load 26 the
  // harness, opening a step's sockets, answered 1,299 of 5,000 pings later than a 3-s beat allowed.
  // On PostgreSQL: the embedded store's database thread (PGlite's WebAssembly heap, in this
  // process) gave memory back while the sockets were opened, so RSS fell as they were added and
  // the slope measured PGlite, not the sockets (-60 and -33 KB per socket). A socket's state on
  // the node is the same on either store.
  const tally = await startTally({ database: 'postgres', env: { TALLY_WS_HEARTBEAT_MS: String(holdMs) }, startTimeoutMs: 180_000 });
  try {
    const users = await createBenchUsers(tally.url, Math.ceil((sockets + WARM_UP_SOCKETS) / SOCKETS_PER_USER));
    // Warm-up uses the last users' places; the measured sockets fill the first users'.
    const warmUsers = users.slice(-Math.ceil(WARM_UP_SOCKETS / SOCKETS_PER_USER));
    const open = async (user: BenchUser) => BenchSocket.open(`${tally.wsUrl}?ticket=${await fetchTicket(tally.url, user)}`);
    return await measure(tally, sockets, holdMs, (i) => open(users[Math.floor(i / SOCKETS_PER_USER)]!), (i) => open(warmUsers[i % warmUsers.length]!));
  } finally {
    await tally.close();
  }
}

async function measureBare(sockets: number, holdMs: number): Promise<Sample> {
  const bare = await startBareWs();
  try {
    const open = () => BenchSocket.open(bare.wsUrl);
    return await measure(bare, sockets, holdMs, open, open);
  } finally {
    await bare.close();
  }
}

async function measure(
  target: MeasuredProcess,
  count: number,
  holdMs: number,
  open: (index: number) => Promise<BenchSocket>,
  openWarm: (index: number) => Promise<BenchSocket>,
): Promise<Sample> {
  const warm = await mapLimited(Array.from({ length: WARM_UP_SOCKETS }, (_, i) => i), 50, (i) => openWarm(i));
  await Promise.all(warm.map((s) => s.close()));
  // Start-up and the sign-ups (password hashing, the embedded database's first pages) leave
  // memory the process gives back over the next seconds: a reading taken then fell by hundreds
  // of MB during the hold. The "before" is taken once RSS has settled.
  const before = await settledReading(target);
  // The cost per socket is the slope of GC'd readings over the sockets held, opened in steps: a
  // single after-minus-before delta took any drift of the process's own memory between the two
  // readings (the allocator giving back start-up memory) as the sockets' and came out negative in
  // 2 of 3 rounds; a least-squares line through several steps is steered by the sockets.
  const rssPoints: Array<[number, number]> = [[0, before.rssBytes]];
  const heapPoints: Array<[number, number]> = [[0, before.heapUsedBytes]];
  const held: BenchSocket[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const upTo = Math.round((count * step) / STEPS);
    held.push(...(await mapLimited(Array.from({ length: upTo - held.length }, (_, i) => held.length + i), 100, (i) => open(i))));
    await sleep(1000);
    const reading = await target.probe({ gc: true, resetLoopDelay: step === STEPS });
    rssPoints.push([held.length, reading.rssBytes]);
    heapPoints.push([held.length, reading.heapUsedBytes]);
  }
  await sleep(holdMs);
  const during = await target.probe();
  const stillOpen = held.filter((s) => s.socket.readyState === s.socket.OPEN).length;
  // Closing 15,000 sockets at once is itself a storm; in batches it stays a clean-up.
  await mapLimited(held, 500, (s) => s.close());
  if (stillOpen !== count) throw new Error(`${count - stillOpen} of ${count} idle sockets were closed while held`);
  return { bytesPerSocket: slopeOf(rssPoints), heapBytesPerSocket: slopeOf(heapPoints), loopDelayP99: during.loopDelay.p99, opened: count };
}

/** Settled: two GC'd readings a second apart within this much of each other. */
const SETTLED_BYTES = 1024 * 1024;
const SETTLE_MAX_READINGS = 30;

/** A reading after a full GC once RSS stops moving (at most 30 s of readings a second apart). */
async function settledReading(target: MeasuredProcess) {
  let last = await target.probe({ gc: true });
  for (let i = 1; i < SETTLE_MAX_READINGS; i++) {
    await sleep(1000);
    const next = await target.probe({ gc: true });
    const settled = Math.abs(next.rssBytes - last.rssBytes) < SETTLED_BYTES;
    last = next;
    if (settled) break;
  }
  return last;
}
