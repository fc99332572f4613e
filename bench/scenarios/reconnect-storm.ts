import { WS_BEARER_PREFIX, WS_SUBPROTOCOL } from '@tally/protocol';
import { mapLimited, sleep } from '../lib/concurrency.js';
import { closeLoadUsers, prepareLoadUsers, type LoadUser } from '../lib/in-process-tally-load.js';
import { startMockLlm } from '../lib/mock-llm.js';
import type { Scenario } from '../lib/scenario.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';
import { startTally } from '../lib/tally-process.js';
import { BenchSocket, type RunWatch } from '../lib/ws-client.js';

const RUNS = 100;
const DELTAS = 80;
const DELTA_DELAY_MS = 400;

interface Client {
  runId: string;
  token: string;
  socket: BenchSocket;
  before: RunWatch;
  after?: RunWatch;
  resumedAfterMs?: number;
}

/**
 * A reconnect storm: clients follow 100 live runs (a slow stream, so the harness can read every
 * frame), then every socket drops at once and every client reconnects at once and resubscribes
 * from its last seq. A client has resumed when it holds every event up to where its run was when
 * the sockets dropped; all must resume within 8 s, and each then gets the rest of its run with
 * no gap and no duplicate across the two sockets.
 */
export const reconnectStorm: Scenario = {
  name: 'reconnect-storm',
  quick: true,
  async run(ctx) {
    const clients = ctx.profile === 'full' ? 5_000 : 2_000;
    const llm = await startMockLlm({ deltas: DELTAS, deltaDelayMs: DELTA_DELAY_MS });
    const tally = await startTally({ llmBaseUrl: llm.url, database: 'postgres' });
    let users: LoadUser[] = [];
    const all: Client[] = [];
    try {
      users = await prepareLoadUsers(tally.url, tally.wsUrl, 50);
      const connect = (token: string) => BenchSocket.open(tally.wsUrl, { protocols: [WS_SUBPROTOCOL, WS_BEARER_PREFIX + token] });
      // Sockets first, then the runs, then the subscriptions: every run is still streaming at the drop.
      const sockets = await mapLimited(Array.from({ length: clients }, (_, i) => i), 64, (i) => connect(users[(i % RUNS) % users.length]!.user.accessToken));
      const runs: Array<{ runId: string; token: string }> = [];
      await mapLimited(Array.from({ length: RUNS }, (_, i) => i), 20, async (i) => {
        const owner = users[i % users.length]!;
        const ack = await owner.socket.command('send_message', { text: `Where is my AI money going? (storm ${i})` });
        runs[i] = { runId: String(ack['runId']), token: owner.user.accessToken };
      });
      await mapLimited(sockets, 200, async (socket, i) => {
        const run = runs[i % RUNS]!;
        const before = socket.watch(run.runId);
        await socket.command('subscribe', { runId: run.runId, afterSeq: 0 });
        all[i] = { ...run, socket, before };
      });
      await sleep(2_000);
      const unfinished = all.filter((c) => c.before.terminalSeq === undefined).length;
      ctx.log(`${clients} clients on ${RUNS} live runs (${unfinished} still streaming); dropping every socket`);
      // Where each run was when the sockets dropped: what a resumed client must hold.
      const reached = new Map<string, number>();
      for (const c of all) reached.set(c.runId, Math.max(reached.get(c.runId) ?? 0, c.before.tracker.last));
      for (const c of all) c.socket.socket.terminate();
      const stormAt = performance.now();
      let retries = 0;
      // As the client SDK does: a refused or reset connect is tried again after a short random wait.
      const reconnect = async (token: string): Promise<BenchSocket> => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await connect(token);
          } catch (error) {
            if (attempt >= 20) throw error;
            retries++;
            await sleep(100 + Math.random() * 400);
          }
        }
      };
      await Promise.all(
        all.map(async (c) => {
          const socket = await reconnect(c.token);
          c.socket = socket;
          c.after = socket.watch(c.runId, { afterSeq: c.before.tracker.last });
          await socket.command('subscribe', { runId: c.runId, afterSeq: c.before.tracker.last });
        }),
      );
      const reconnectedMs = performance.now() - stormAt;
      const deadline = stormAt + 60_000;
      while (performance.now() < deadline) {
        for (const c of all) {
          if (c.resumedAfterMs === undefined && c.after!.tracker.last >= reached.get(c.runId)!) c.resumedAfterMs = performance.now() - stormAt;
        }
        if (all.every((c) => c.resumedAfterMs !== undefined)) break;
        await sleep(20);
      }
      const resumed = all.filter((c) => c.resumedAfterMs !== undefined);
      const slowest = Math.max(...resumed.map((c) => c.resumedAfterMs!));
      ctx.log(`all reconnected in ${(reconnectedMs / 1000).toFixed(2)} s (${retries} retries); ${resumed.length}/${clients} resumed, the last after ${(slowest / 1000).toFixed(2)} s`);
      // A client whose run had ended before the drop has nothing more to get.
      const live = all.filter((c) => c.before.terminalSeq === undefined);
      await Promise.race([Promise.all(live.map((c) => c.after!.done)), sleep(90_000)]);
      let integrity = emptyIntegrity();
      let notEnded = 0;
      for (const c of all) {
        integrity = addIntegrity(integrity, c.before.tracker.integrity(c.before.tracker.last));
        if (c.before.terminalSeq !== undefined) continue;
        if (c.after!.terminalSeq === undefined) notEnded++;
        else integrity = addIntegrity(integrity, c.after!.tracker.integrity(c.after!.terminalSeq));
      }
      integrity.lost += clients - resumed.length + notEnded;
      return {
        scenario: 'reconnect-storm',
        figures: [
          {
            name: `${clients.toLocaleString('en-US')} clients reconnecting at once, all resumed`,
            unit: 's',
            tally: slowest / 1000,
            target: { max: 8 },
            integrity,
            note:
              `${RUNS} live runs (${DELTAS} deltas ${DELTA_DELAY_MS} ms apart), ${clients / RUNS} clients each; every socket dropped, then every client reconnected at once (bearer) and subscribed from its last seq. ` +
              `All sockets were open again after ${(reconnectedMs / 1000).toFixed(2)} s (${retries} connects retried after a reset); resumed = holds every event up to where its run was at the drop. ${resumed.length}/${clients} resumed within 60 s; ` +
              `integrity across both sockets through each run's terminal event.${ctx.profile === 'full' ? '' : ' Quick profile: 2,000 clients (full: 5,000).'}`,
          },
        ],
      };
    } finally {
      await Promise.all(all.map((c) => c.socket.close()));
      await closeLoadUsers(users);
      await tally.close();
      await llm.close();
    }
  },
};
