import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { WS_BEARER_PREFIX, WS_SUBPROTOCOL } from '@tally/protocol';
import { deliverRuns, openSockets, refusalFailures, tallyTarget, type DeliveryRound } from '../lib/delivery-load.js';
import { createLatencyHistogram } from '../lib/histogram.js';
import { alternate, spreadOf, spreadText } from '../lib/round-stats.js';
import { closeLoadUsers, prepareLoadUsers } from '../lib/in-process-tally-load.js';
import { startMockLlm } from '../lib/mock-llm.js';
import type { Scenario } from '../lib/scenario.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';
import { startTally } from '../lib/tally-process.js';
import { BenchSocket, type RunWatch } from '../lib/ws-client.js';

const RUNS = 500;
/**
 * Runs of the slow reader's user (every other run of the round), all of which its stalled socket
 * subscribes to. A socket that never reads holds about its receive buffer (128 KB: it never grows
 * without reads) plus the node's kernel send buffer (up to 4 MB) before the node's own bound sees a
 * byte. A lagging socket's consecutive deltas merge into one frame, so a run it is behind on costs
 * it far less than the ~27 KB of frames a reader that keeps up gets: the round's 250 runs came to
 * about the kernel's share plus the bound, and session 14's full run closed the socket in 4 rounds
 * of 5. So it also asks for its user's earlier runs (PAST_RUNS, replayed from the log, as a client
 * reopening old threads does).
 */
const SLOW_USER_RUNS = 250;
/** The slow reader's user's earlier runs it also subscribes to (the latest ones, from the warm-up and earlier rounds). */
const PAST_RUNS = 250;
/** Longer than a round lasts, so the bound, not the heartbeat, is what closes the stalled socket. */
const HEARTBEAT_MS = 600_000;
/**
 * The stalled socket's subscribes leave at most this many a second: the gateway closes a socket that
 * sends more than 50 frames a second (1008, its flood limit), which came before the bound in a round.
 */
const SUBSCRIBES_PER_SECOND = 40;
/** After a round, how long the stalled socket, reading again, may take to reach the node's close frame. */
const CLOSE_READ_MS = 15_000;
/**
 * The node's hard bound for one socket's unsent bytes, lowered from the 4 MB default so the
 * stalled socket passes it within a round: the kernel's loopback buffers absorb a few MB and
 * merged deltas grow slowly, so at 4 MB the close (4008) was never reached and never measured.
 * Above the default soft bound (256 KB), past which a socket counts as lagging.
 */
const HARD_BYTES = 512 * 1024;

/**
 * One reader that stops reading among 500 concurrent runs: a socket of one user that subscribes
 * to that user's 250 runs of the round and 250 earlier ones and never reads (its TCP socket
 * paused), against the same load without it; the node must close it with 4008 (SLOW_CONSUMER) past its hard bound. Others' delivery p99 must stay within 1.2x. Rounds alternate without / with.
 */
export const slowReader: Scenario = {
  name: 'slow-reader',
  quick: true,
  async run(ctx) {
    const rounds = ctx.profile === 'full' ? 5 : 3;
    const llm = await startMockLlm({ deltas: 100, deltaDelayMs: 20 });
    // The heartbeat raised past a round: a paused socket answers no ping, and on a busy machine
    // (rounds of a minute) the heartbeat closed it (4000) before its bytes reached the bound.
    const tally = await startTally({ llmBaseUrl: llm.url, database: 'postgres', env: { TALLY_WS_SEND_HARD_BYTES: String(HARD_BYTES), TALLY_WS_HEARTBEAT_MS: String(HEARTBEAT_MS) } });
    const sockets: BenchSocket[] = [];
    try {
      const loadUsers = await prepareLoadUsers(tally.url, tally.wsUrl, 50);
      await closeLoadUsers(loadUsers);
      const users = loadUsers.map((l) => l.user);
      const slowUser = users[0]!;
      // Socket i runs as owners[i]: every other one as the slow reader's user, so its runs spread over the round.
      const isSlowUsers = (i: number) => i % (RUNS / SLOW_USER_RUNS) === 0;
      const owners = Array.from({ length: RUNS }, (_, i) => (isSlowUsers(i) ? slowUser : users[1 + (i % (users.length - 1))]!));
      sockets.push(...(await openSockets(tallyTarget(tally.wsUrl, owners), RUNS)));
      // The slow reader's user's runs so far, oldest first: a stalled socket also asks for the latest of them.
      const slowUsersRuns: string[] = [];
      const noteSlowUsersRun = (watch: RunWatch, i: number) => void (isSlowUsers(i) && slowUsersRuns.push(watch.runId));
      await deliverRuns(sockets, { runs: 50, spreadMs: 500, timeoutMs: 60_000, onStarted: noteSlowUsersRun });
      const without: DeliveryRound[] = [];
      const withSlow: DeliveryRound[] = [];
      const slowOutcomes: string[] = [];
      for (let round = 1; round <= rounds; round++) {
        for (const slow of alternate(round, false, true)) {
          let stalled: BenchSocket | undefined;
          // Subscribes queued as runs start, sent under the flood limit (a late one replays its run: the same bytes).
          const subscribes: string[] = [];
          const pacer = setInterval(() => {
            const frame = subscribes.shift();
            if (frame && stalled?.socket.readyState === stalled?.socket.OPEN) stalled!.socket.send(frame);
          }, 1000 / SUBSCRIBES_PER_SECOND);
          const subscribeFrame = (runId: string) => JSON.stringify({ v: 1, id: randomUUID(), type: 'subscribe', data: stalled!.withWorkspace('subscribe', { runId, afterSeq: 0 }) });
          if (slow) {
            stalled = await BenchSocket.open(tally.wsUrl, { protocols: [WS_SUBPROTOCOL, WS_BEARER_PREFIX + slowUser.accessToken] });
            (stalled.socket as unknown as { _socket: Socket })._socket.pause();
            subscribes.push(...slowUsersRuns.slice(-PAST_RUNS).map(subscribeFrame));
          }
          const result = await deliverRuns(sockets, {
            runs: RUNS,
            spreadMs: 2_000,
            timeoutMs: 120_000,
            // It asks for every run of its user, and reads none of it (sent raw: it will never read an ack).
            // A run of this round goes ahead of the earlier ones: it is asked for as it starts, as before.
            onStarted: (watch, i) => {
              if (stalled && isSlowUsers(i)) subscribes.unshift(subscribeFrame(watch.runId));
              noteSlowUsersRun(watch, i);
            },
          });
          while (subscribes.length > 0 && stalled?.socket.readyState === stalled?.socket.OPEN) await new Promise((r) => setTimeout(r, 100));
          clearInterval(pacer);
          if (stalled) {
            // A paused socket never reads the close frame the node sent after its buffered frames:
            // it reads again now, and its close code says whether the bound closed it (4008).
            const tcp = (stalled.socket as unknown as { _socket: Socket })._socket;
            const closed = new Promise<void>((resolve) => (stalled!.closeCode !== undefined ? resolve() : stalled!.socket.once('close', () => resolve())));
            tcp.resume();
            await Promise.race([closed, new Promise((r) => setTimeout(r, CLOSE_READ_MS))]);
            slowOutcomes.push(stalled.closeCode === undefined ? 'still open' : `closed ${stalled.closeCode} after ${stalled.framesReceived} frames`);
            stalled.socket.terminate();
          }
          const s = result.latency.summary();
          ctx.log(`round ${round}/${rounds} ${slow ? 'with' : 'without'} the slow reader: p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`);
          (slow ? withSlow : without).push(result);
        }
      }
      const merge = (list: DeliveryRound[]) => {
        const h = createLatencyHistogram();
        let integrity = emptyIntegrity();
        for (const r of list) {
          h.add(r.latency);
          integrity = addIntegrity(integrity, r.integrity);
        }
        return { summary: h.summary(), integrity };
      };
      const w = merge(withSlow);
      const wo = merge(without);
      const p99s = (list: DeliveryRound[]) => spreadText(spreadOf(list.map((r) => r.latency.summary().p99)), 1, ' ms');
      const closed = slowOutcomes.filter((o) => o.startsWith('closed 4008')).length;
      return {
        scenario: 'slow-reader',
        figures: [
          {
            name: `others' delivery p99 with one slow reader, ${RUNS} runs`,
            unit: 'ms',
            tally: w.summary.p99,
            baseline: wo.summary.p99,
            baselineName: 'the same load without it',
            target: { maxRatio: 1.2 },
            integrity: addIntegrity(w.integrity, wo.integrity),
            // The effect under test includes the close: a stalled socket that is never closed did not test the bound.
            failures: [...(closed < slowOutcomes.length ? [`the stalled socket was closed with 4008 in ${closed} of ${slowOutcomes.length} rounds`] : []), ...refusalFailures([...withSlow, ...without])],
            note:
              `${rounds} rounds each, alternating which goes first; p99 over every round's deltas. Per round: with ${p99s(withSlow)}, without ${p99s(without)}. ` +
              `The slow reader subscribes to its user's ${SLOW_USER_RUNS} runs (every other run of the round, ~115 frames each; each as it starts) and to that user's latest ${PAST_RUNS} earlier runs (replayed from the log), and never reads during the round (its TCP socket paused from the upgrade on, so its receive buffer stays at its initial size; its subscribes sent at ${SUBSCRIBES_PER_SECOND}/s, under the gateway's flood limit); the node runs with TALLY_WS_SEND_HARD_BYTES=${HARD_BYTES / 1024} KB (default 4 MB) and its heartbeat at ${HEARTBEAT_MS / 60_000} min (a paused socket answers no ping: 4000 would close it first). After each round it reads again for up to ${CLOSE_READ_MS / 1000} s to see how the node closed it. ` +
              `The stalled socket was: ${slowOutcomes.join(', ')} (4008 = SLOW_CONSUMER past the hard bound). p50 ${w.summary.p50.toFixed(2)} vs ${wo.summary.p50.toFixed(2)} ms. PostgreSQL, in-process bus.`,
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
