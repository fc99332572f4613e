import { WS_BEARER_PREFIX, WS_SUBPROTOCOL } from '@tally/protocol';
import { deliverRuns } from '../lib/delivery-load.js';
import { createLatencyHistogram } from '../lib/histogram.js';
import { closeLoadUsers, prepareLoadUsers, type LoadUser } from '../lib/in-process-tally-load.js';
import { startMockLlm } from '../lib/mock-llm.js';
import type { Scenario } from '../lib/scenario.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';
import { startTally } from '../lib/tally-process.js';
import { BenchSocket } from '../lib/ws-client.js';

const MISSED = 1_000;

/**
 * Replay after a reconnect: a client that missed the last 1,000 events of a run connects and
 * subscribes with its last seq, and is timed until it holds every one of them (from the log, in
 * order). The baseline is the same fresh connect and subscribe with nothing missed (the ack).
 * Samples alternate one by one, one at a time, over finished runs of ~1,130 events each.
 */
export const replay: Scenario = {
  name: 'replay',
  quick: true,
  async run(ctx) {
    const samples = ctx.profile === 'full' ? 500 : 150;
    // Paced (2 ms a delta) so each is mostly its own event: deltas that reach the node together
    // are sent as one (llm/coalesce-text-stream.ts), and these runs must hold over 1,000 events
    // even when a busy machine delays a few reads (1,100 deltas once made 990 events).
    const llm = await startMockLlm({ deltas: MISSED + 400, deltaDelayMs: 2 });
    const tally = await startTally({ llmBaseUrl: llm.url, database: 'postgres' });
    let users: LoadUser[] = [];
    try {
      users = await prepareLoadUsers(tally.url, tally.wsUrl, 4);
      const made = await deliverRuns(users.map((u) => u.socket), { runs: 8, spreadMs: 0, timeoutMs: 120_000 });
      const runs = made.watches.map((w, i) => ({ runId: w.runId, lastSeq: w.terminalSeq!, user: users[i % users.length]!.user }));
      ctx.log(`${runs.length} runs of ${runs[0]?.lastSeq} events each`);
      const short = runs.find((r) => r.lastSeq <= MISSED);
      if (short) throw new Error(`run ${short.runId} has ${short.lastSeq} events: too few to miss ${MISSED}`);
      const resume = createLatencyHistogram();
      const fresh = createLatencyHistogram();
      let integrity = emptyIntegrity();
      const connect = (token: string) => BenchSocket.open(tally.wsUrl, { protocols: [WS_SUBPROTOCOL, WS_BEARER_PREFIX + token] });
      for (let i = 0; i < samples * 2 + 20; i++) {
        const run = runs[i % runs.length]!;
        const resuming = i % 2 === 0;
        const afterSeq = resuming ? run.lastSeq - MISSED : run.lastSeq;
        const started = performance.now();
        const socket = await connect(run.user.accessToken);
        const watch = socket.watch(run.runId, { afterSeq });
        await socket.command('subscribe', { runId: run.runId, afterSeq });
        if (resuming) await watch.done;
        const ms = performance.now() - started;
        await socket.close();
        // The first 20 warm the paths up.
        if (i < 20) continue;
        if (resuming) {
          resume.recordMs(ms);
          integrity = addIntegrity(integrity, watch.tracker.integrity(run.lastSeq));
        } else fresh.recordMs(ms);
      }
      const r = resume.summary();
      const f = fresh.summary();
      ctx.log(`resume p50 ${r.p50.toFixed(1)} ms p99 ${r.p99.toFixed(1)} ms; fresh p50 ${f.p50.toFixed(1)} ms p99 ${f.p99.toFixed(1)} ms`);
      return {
        scenario: 'replay',
        figures: [
          {
            name: `resume with ${MISSED.toLocaleString('en-US')} missed events, p99`,
            unit: 'ms',
            tally: r.p99,
            baseline: f.p99,
            baselineName: 'fresh connect + subscribe, nothing missed',
            target: { maxOver: 30 },
            integrity,
            note: `${samples} samples each, alternating, one at a time: connect (bearer) + subscribe {afterSeq: last − ${MISSED}} until the terminal event, vs the same with afterSeq = last. p50 ${r.p50.toFixed(1)} vs ${f.p50.toFixed(1)} ms. PostgreSQL log.`,
          },
        ],
      };
    } finally {
      await closeLoadUsers(users);
      await tally.close();
      await llm.close();
    }
  },
};
