import { WS_BEARER_PREFIX, WS_SUBPROTOCOL } from '@tally/protocol';
import pg from 'pg';
import { logInSessions } from '../lib/bench-users.js';
import { mapLimited, sleep } from '../lib/concurrency.js';
import { closeLoadUsers, prepareLoadUsers, type LoadUser } from '../lib/in-process-tally-load.js';
import { startMockLlm } from '../lib/mock-llm.js';
import type { Scenario } from '../lib/scenario.js';
import { spreadOf, spreadText } from '../lib/round-stats.js';
import { addIntegrity, emptyIntegrity } from '../lib/seq-tracker.js';
import { startTally } from '../lib/tally-process.js';
import { BenchSocket, type RunWatch } from '../lib/ws-client.js';

const RUNS = 100;
/** 150 deltas 400 ms apart: a minute of stream, so the runs still stream after 5,000 followers subscribed. */
const DELTAS = 150;
const DELTA_DELAY_MS = 400;
/** The target's stated size: a smaller storm gets no verdict. */
const TARGET_CLIENTS = 5_000;
const USERS = 50;
/** Log-ins per user: the sockets are spread over 500 sessions (10 sockets each, a person's tabs and devices). */
const SESSIONS_PER_USER = 10;
/** Storms per run: a median is named over at least three. */
const STORMS = 3;

interface Client {
  runId: string;
  token: string;
  socket: BenchSocket;
  before: RunWatch;
  after?: RunWatch;
  resumedAfterMs?: number;
}

/** Each run's highest seq in the event log (the run_events table of the node's schema). */
async function logSeqs(postgres: { url: string; schema: string }, runIds: string[]): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ run_id: string; seq: string }>(
      `SELECT run_id, max(seq) AS seq FROM "${postgres.schema}".run_events WHERE run_id = ANY($1) GROUP BY run_id`,
      [runIds],
    );
    return new Map(rows.map((r) => [r.run_id, Number(r.seq)]));
  } finally {
    await client.end();
  }
}

/** Whether the client holds every seq 1..`upTo` across its two sockets (the one that dropped, the one that resumed). */
function holdsUpTo(client: Client, upTo: number): boolean {
  const before = client.before.tracker;
  const after = client.after?.tracker;
  for (let seq = 1; seq <= upTo; seq++) {
    const held = seq <= before.last ? before.holds(seq) : (after?.holds(seq) ?? false);
    if (!held) return false;
  }
  return true;
}

/** What one storm gave. */
interface StormResult {
  /** When the last client held every event up to its run's seq at the drop (NaN if none resumed). */
  slowestMs: number;
  reconnectedMs: number;
  retries: number;
  resumed: number;
  streamingRuns: number;
  integrity: ReturnType<typeof emptyIntegrity>;
  /** Subscribes the node refused during the storm (e.g. SERVICE_UNAVAILABLE when its pool wait ran out), by code. */
  refused: Map<string, number>;
}

/**
 * One storm on a freshly started node: clients follow 100 live runs (a slow stream, so the harness
 * can read every frame), then every socket drops at once and every client reconnects at once and
 * resubscribes from its last seq.
 */
async function storm(log: (line: string) => void, clients: number): Promise<StormResult> {
  const llm = await startMockLlm({ deltas: DELTAS, deltaDelayMs: DELTA_DELAY_MS });
  // The minute-long answers are at the default 60-s budget of one LLM call: raised for these runs.
  const tally = await startTally({ llmBaseUrl: llm.url, database: 'postgres', env: { TALLY_LLM_TIMEOUT_MS: '300000' } });
  let users: LoadUser[] = [];
  const all: Client[] = [];
  try {
    users = await prepareLoadUsers(tally.url, tally.wsUrl, USERS);
    const sessions = await logInSessions(tally.url, users.map((u) => u.user), SESSIONS_PER_USER);
    log(`${sessions.length} sessions of ${USERS} users`);
    // Client i follows run i % RUNS, as that run's owner, in one of the owner's sessions.
    const tokenOf = (i: number) => sessions[((i % RUNS) % USERS) * SESSIONS_PER_USER + (Math.floor(i / RUNS) % SESSIONS_PER_USER)]!.accessToken;
    const connect = (token: string) => BenchSocket.open(tally.wsUrl, { protocols: [WS_SUBPROTOCOL, WS_BEARER_PREFIX + token] });
    // Sockets first, then the runs, then the subscriptions: every run is still streaming at the drop.
    const sockets = await mapLimited(Array.from({ length: clients }, (_, i) => i), 64, (i) => connect(tokenOf(i)));
    const runs: Array<{ runId: string; token: string }> = [];
    await mapLimited(Array.from({ length: RUNS }, (_, i) => i), 20, async (i) => {
      const owner = users[i % users.length]!;
      const ack = await owner.socket.command('send_message', { text: `Where is my AI money going? (storm ${i})` });
      runs[i] = { runId: String(ack['runId']), token: owner.user.accessToken };
    });
    // Set-up, not measured: the followers subscribe a few dozen at a time, as people open a run.
    await mapLimited(sockets, 32, async (socket, i) => {
      const run = runs[i % RUNS]!;
      const before = socket.watch(run.runId);
      await socket.command('subscribe', { runId: run.runId, afterSeq: 0 });
      all[i] = { runId: run.runId, token: tokenOf(i), socket, before };
    });
    await sleep(2_000);
    const unfinished = all.filter((c) => c.before.terminalSeq === undefined).length;
    const streamingRuns = new Set(all.filter((c) => c.before.terminalSeq === undefined).map((c) => c.runId)).size;
    log(`${clients} clients on ${RUNS} live runs (${unfinished} still streaming); dropping every socket`);
    // Where each run was in the log when the sockets dropped: every event up to it is what a resumed client must hold.
    const reached = await logSeqs(tally.postgres!, runs.map((r) => r.runId));
    for (const c of all) c.socket.socket.terminate();
    const stormAt = performance.now();
    let retries = 0;
    const refused = new Map<string, number>();
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
        await socket.command('subscribe', { runId: c.runId, afterSeq: c.before.tracker.last }).catch((error: unknown) => {
          // Such a client never resumes: counted as lost below, and named in the note.
          const code = String(error instanceof Error ? error.message : error).split(':')[0]!;
          refused.set(code, (refused.get(code) ?? 0) + 1);
        });
      }),
    );
    const reconnectedMs = performance.now() - stormAt;
    const deadline = stormAt + 60_000;
    while (performance.now() < deadline) {
      for (const c of all) {
        if (c.resumedAfterMs === undefined && holdsUpTo(c, reached.get(c.runId) ?? 0)) c.resumedAfterMs = performance.now() - stormAt;
      }
      if (all.every((c) => c.resumedAfterMs !== undefined)) break;
      await sleep(20);
    }
    const resumed = all.filter((c) => c.resumedAfterMs !== undefined);
    const slowestMs = resumed.length > 0 ? Math.max(...resumed.map((c) => c.resumedAfterMs!)) : Number.NaN;
    log(`all reconnected in ${(reconnectedMs / 1000).toFixed(2)} s (${retries} retries); ${resumed.length}/${clients} resumed, the last after ${(slowestMs / 1000).toFixed(2)} s`);
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
    return { slowestMs, reconnectedMs, retries, resumed: resumed.length, streamingRuns, integrity, refused };
  } finally {
    await Promise.all(all.map((c) => c.socket.close()));
    await closeLoadUsers(users);
    await tally.close();
    await llm.close();
  }
}

/**
 * Reconnect storms, each on a node started for it (so no storm inherits another's runs or warm
 * caches). A client has resumed when it holds every event up to where its run was when the sockets
 * dropped; all must resume within 8 s, and each then gets the rest of its run with no gap and no
 * duplicate across the two sockets. One storm's last client is a maximum over 5,000 and moved from
 * 5.8 to 10.8 s between runs of the same code (session 22), so the verdict is on the median of
 * STORMS storms, with the worst storm reported beside it.
 */
export const reconnectStorm: Scenario = {
  name: 'reconnect-storm',
  quick: true,
  async run(ctx) {
    const clients = Number(process.env['BENCH_STORM_CLIENTS'] ?? TARGET_CLIENTS);
    const storms: StormResult[] = [];
    for (let i = 1; i <= STORMS; i++) {
      storms.push(await storm((line) => ctx.log(`storm ${i}/${STORMS}: ${line}`), clients));
    }
    const slowest = spreadOf(storms.map((s) => s.slowestMs / 1000));
    const integrity = storms.reduce((sum, s) => addIntegrity(sum, s.integrity), emptyIntegrity());
    const refused = new Map<string, number>();
    for (const s of storms) for (const [code, n] of s.refused) refused.set(code, (refused.get(code) ?? 0) + n);
    const fewestStreaming = Math.min(...storms.map((s) => s.streamingRuns));
    const perStorm = storms
      .map((s, i) => `storm ${i + 1}: last resumed ${(s.slowestMs / 1000).toFixed(2)} s, all open again ${(s.reconnectedMs / 1000).toFixed(2)} s, ${s.retries} retried, ${s.resumed}/${clients} resumed`)
      .join('; ');
    const judged = {
      // A storm over runs that already ended tests replay, not resuming live runs.
      ...(fewestStreaming < RUNS ? { failures: [`in one storm only ${fewestStreaming} of ${RUNS} runs were still streaming when the sockets dropped`] } : {}),
      ...(clients < TARGET_CLIENTS ? { notJudged: `${clients.toLocaleString('en-US')} clients, the target is for ${TARGET_CLIENTS.toLocaleString('en-US')}` } : {}),
    };
    return {
      scenario: 'reconnect-storm',
      figures: [
        {
          name: `${clients.toLocaleString('en-US')} clients reconnecting at once, all resumed (median of ${STORMS} storms)`,
          unit: 's',
          tally: slowest.median,
          target: { max: 8 },
          integrity,
          ...judged,
          note:
            `Per storm, the time from the drop until the last of the ${clients.toLocaleString('en-US')} clients had resumed: ${spreadText(slowest, 2, ' s')}. ` +
            `Each storm on a freshly started node: ${RUNS} live runs (${DELTAS} deltas ${DELTA_DELAY_MS} ms apart), ${clients / RUNS} clients each; every socket dropped, then every client reconnected at once (bearer) and subscribed from its last seq; TALLY_LLM_TIMEOUT_MS raised to 300 s (the answers last a minute). ` +
            `Sockets spread over ${USERS * SESSIONS_PER_USER} sessions (${USERS} accounts, ${SESSIONS_PER_USER} log-ins each, ~${Math.round(clients / (USERS * SESSIONS_PER_USER))} sockets a session); the node had seen each session before the drop (its session memory is warm, as after a network blip, not a node restart). ` +
            `Resumed = holds every event from seq 1 up to the seq its run had in the event log (read from the database) at the drop, across both sockets, within 60 s. ${perStorm}. ` +
            `Integrity across both sockets through each run's terminal event, every storm. Subscribes refused during the storms: ${refused.size ? [...refused].map(([code, n]) => `${n} ${code}`).join(', ') : 'none'}.`,
        },
        {
          name: `${clients.toLocaleString('en-US')} clients reconnecting at once, all resumed (the slowest of ${STORMS} storms, a maximum)`,
          unit: 's',
          tally: slowest.max,
          ...judged,
          note: `No target of its own: the worst storm beside the median the target is judged on. ${perStorm}.`,
        },
      ],
    };
  },
};
