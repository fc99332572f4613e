import crypto from 'node:crypto';
import WebSocket from 'ws';
import {
  createRestClient,
  createWsClient,
  type RestClient,
  type WebSocketConstructor,
  type WsClient,
} from '@tally/client';
import { isTerminalEvent, type RunEvent, type UsageRecordInput } from '@tally/protocol';
import { canonicalJson } from '../canonical-json.js';
import { createSeededRandom } from '../usage/demo/seeded-random.js';

export interface SmokeOptions {
  /** Server origin, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Log in with these instead of signing up a fresh account. */
  email?: string;
  password?: string;
  log: (line: string) => void;
  /** For the whole smoke run; default 120 s. */
  timeoutMs?: number;
}

export interface SmokeStep {
  name: string;
  ms: number;
  ok: boolean;
  detail: string;
}

export interface SmokeResult {
  ok: boolean;
  steps: SmokeStep[];
}

const QUESTION = 'Where is my AI money going?';
const RECORDS = 200;

/** A failed check: its message is the step's reason. */
class SmokeFailure extends Error {}

function check(condition: unknown, reason: string): asserts condition {
  if (!condition) throw new SmokeFailure(reason);
}

/**
 * Runs the golden path against a deployment with the SDK, as a user would: health, account,
 * usage upload, a chat message streamed live over the WebSocket, the run log over REST, the
 * thread list, and a resume from the middle of the run on a new socket. Stops at the first
 * failing step and says why.
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeResult> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const steps: SmokeStep[] = [];
  let accessToken: string | undefined;
  const rest = createRestClient({ baseUrl: options.url, getAccessToken: () => accessToken, timeoutMs: 30_000 });
  const sockets: WsClient[] = [];

  async function step(name: string, body: () => Promise<string>, until = deadline): Promise<boolean> {
    const started = Date.now();
    let ok = false;
    let detail: string;
    try {
      detail = await withDeadline(body(), until, name);
      ok = true;
    } catch (error) {
      detail = reasonOf(error);
    }
    const ms = Date.now() - started;
    steps.push({ name, ms, ok, detail });
    options.log(`${ok ? 'ok  ' : 'FAIL'} ${name.padEnd(22)} ${String(ms).padStart(6)} ms  ${detail}`);
    return ok;
  }

  let firstTicket: string | undefined;
  let runId = '';
  let threadId = '';
  /** The account's personal workspace (its id is the account's). */
  let workspaceId = '';
  let streamed: RunEvent[] = [];
  let live: LiveSocket | undefined;
  /** The account smoke signed up, which it deletes at the end (never one it was given). */
  let created: { email: string; password: string } | undefined;

  const plan: Array<[string, () => Promise<string>]> = [
    ['health', async () => {
      const h = await rest.health();
      return `version ${h.version}, database ${h.engines.database}, bus ${h.engines.bus}, llm ${h.engines.llm}`;
    }],
    [options.email ? 'log in' : 'sign up', async () => {
      const fresh = { email: `smoke-${Date.now()}-${crypto.randomBytes(4).toString('hex')}@example.com`, password: crypto.randomBytes(18).toString('base64url') };
      const auth = options.email ? await rest.login({ email: options.email, password: options.password ?? '' }) : await rest.signup(fresh);
      if (!options.email) created = fresh;
      accessToken = auth.accessToken;
      workspaceId = auth.user.id;
      return `${auth.user.email} (${auth.user.role})`;
    }],
    ['upload usage', async () => {
      const summary = await rest.uploadUsage(workspaceId, smokeUsageNdjson(RECORDS, Date.now()));
      check(summary.lines === RECORDS, `the server read ${summary.lines} lines of ${RECORDS}`);
      check(
        summary.rejected === 0,
        `${summary.rejected} lines refused, first: ${summary.errors.map((e) => `line ${e.line}: ${e.reason}`).slice(0, 3).join('; ')}`,
      );
      check(summary.inserted + summary.duplicates === RECORDS, `inserted ${summary.inserted} + duplicates ${summary.duplicates} != ${RECORDS}`);
      const unpriced = summary.unpricedModels.length ? `, unpriced: ${summary.unpricedModels.join(', ')}` : '';
      return `${summary.inserted} inserted, ${summary.duplicates} duplicates${unpriced}`;
    }],
    ['ws ticket', async () => {
      const t = await rest.createWsTicket();
      check(t.ticket.length > 0, 'empty ticket');
      firstTicket = t.ticket;
      return `valid ${t.expiresIn} s`;
    }],
    ['ws connect', async () => {
      const ticket = firstTicket;
      firstTicket = undefined;
      live = openSocket(options.url, rest, ticket);
      sockets.push(live.client);
      await live.client.connect();
      return `open, ping ${await live.client.ping()} ms`;
    }],
    ['send_message', async () => {
      const ack = await live!.client.sendMessage({ workspaceId, text: QUESTION });
      runId = ack.runId;
      threadId = ack.threadId;
      return `run ${runId}, thread ${threadId}`;
    }],
    ['stream run', async () => {
      const terminal = await live!.until((e) => e.runId === runId && isTerminalEvent(e.type));
      // A grace period: nothing may follow the terminal event.
      await sleep(500);
      streamed = live!.delivered.filter((e) => e.runId === runId);
      checkWireOrder(live!.wire.filter((e) => e.runId === runId), 0);
      check(streamed.length === live!.wire.filter((e) => e.runId === runId).length, 'the client dropped or held events');
      check(streamed[0]?.type === 'run_queued', `first event is ${streamed[0]?.type}, not run_queued`);
      const supervisorAt = streamed.findIndex((e) => e.type === 'agent_started' && e.data.agent === 'supervisor');
      check(supervisorAt >= 1 && supervisorAt <= 2, `agent_started supervisor at seq ${supervisorAt + 1}, expected seq 2 or 3`);
      const terminals = streamed.filter((e) => isTerminalEvent(e.type));
      check(terminals.length === 1, `${terminals.length} terminal events`);
      check(streamed.at(-1) === terminal, `events after the terminal ${terminal.type}`);
      if (terminal.type === 'run_failed') throw new SmokeFailure(`run_failed ${terminal.data.code}: ${terminal.data.message}`);
      check(terminal.type === 'run_completed', `run ended with ${terminal.type}`);
      check(terminal.data.answer.trim().length > 0, 'run_completed with an empty answer');
      check(terminal.data.report !== null, 'run_completed without a report');
      const r = terminal.data.report;
      const types = [...new Set(streamed.map((e) => e.type))].join(', ');
      return `${streamed.length} events (${types}); ${r.mode} report: $${r.totals.costUsd.toFixed(2)} over ${r.totals.requests} requests, ${r.recommendations.length} recommendations`;
    }],
    ['run log over REST', async () => {
      const run = await rest.getRun(workspaceId, runId);
      check(run.status === 'completed', `GET /v1/runs/:id says ${run.status}`);
      check(run.lastSeq === streamed.length, `GET /v1/runs/:id says lastSeq ${run.lastSeq}, streamed ${streamed.length}`);
      const logged = await rest.listAllRunEvents(workspaceId, runId, 0);
      compareEvents(logged, streamed, 'GET /v1/runs/:id/events');
      return `${logged.length} events equal to the streamed ones`;
    }],
    ['thread list', async () => {
      const threads = await rest.listThreads(workspaceId);
      const thread = threads.find((t) => t.id === threadId);
      check(thread, `thread ${threadId} missing from GET /v1/threads (${threads.length} threads)`);
      const messages = await rest.listMessages(workspaceId, threadId);
      check(messages.some((m) => m.role === 'user' && m.content === QUESTION), 'the question is not among the thread messages');
      return `"${thread.title}" with ${messages.length} messages`;
    }],
    ['resume on new socket', async () => {
      live?.client.close();
      const k = Math.floor(streamed.length / 2);
      const resumed = openSocket(options.url, rest, undefined);
      sockets.push(resumed.client);
      await resumed.client.connect();
      const ack = await resumed.client.subscribe(workspaceId, runId, k);
      check(ack.status === 'completed', `subscribe ack status ${ack.status}`);
      await resumed.until((e) => e.runId === runId && isTerminalEvent(e.type));
      await sleep(300);
      checkWireOrder(resumed.wire, k);
      compareEvents(resumed.delivered, streamed.slice(k), `subscribe afterSeq ${k}`);
      return `afterSeq ${k}: got seq ${k + 1}..${streamed.length}, exactly the missing ones`;
    }],
    ['still healthy', async () => {
      // The replay of a finished run is where a server is most likely to trip after the fact.
      await sleep(200);
      await rest.health();
      return 'the server still answers';
    }],
  ];

  try {
    for (const [name, body] of plan) {
      if (!(await step(name, body))) break;
    }
  } finally {
    for (const s of sockets) s.close();
  }
  // The account smoke made goes, with everything of it, even after a failed step: a smoke run
  // leaves nothing behind on the server it checked. It has its own time, past the run's deadline.
  const account = created;
  if (account) {
    await step(
      'delete account',
      async () => {
        await rest.deleteAccount(account.password);
        const again = await rest.login(account).then(
          () => 'signed in',
          (error: unknown) => (error as { code?: string }).code ?? String(error),
        );
        check(again === 'AUTH_INVALID_CREDENTIALS', `signing in after the deletion answered ${again}`);
        return `${account.email} and its data deleted; signing in is refused`;
      },
      Date.now() + 30_000,
    );
  }
  const ok = steps.length === plan.length + (account ? 1 : 0) && steps.every((s) => s.ok);
  const failed = steps.find((s) => !s.ok);
  options.log(ok ? `smoke passed in ${steps.reduce((n, s) => n + s.ms, 0)} ms` : `smoke FAILED at "${failed?.name}": ${failed?.detail}`);
  return { ok, steps };
}

interface LiveSocket {
  client: WsClient;
  /** Run events as they came off the wire, before the client's dedup and ordering. */
  wire: RunEvent[];
  /** What the client handed on. */
  delivered: RunEvent[];
  until(predicate: (e: RunEvent) => boolean): Promise<RunEvent>;
}

function openSocket(url: string, rest: RestClient, firstTicket: string | undefined): LiveSocket {
  const wire: RunEvent[] = [];
  const delivered: RunEvent[] = [];
  const waiters: Array<{ predicate: (e: RunEvent) => boolean; resolve: (e: RunEvent) => void }> = [];
  // Sees every frame first, so the smoke checks the server, not only what the client repairs.
  class RecordingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      this.addEventListener('message', (e) => {
        const frame = JSON.parse(String(e.data)) as { type?: string; runId?: string; seq?: unknown };
        // Run events are the frames with a seq; acks, errors and thread activity are not.
        if (frame.runId && typeof frame.seq === 'number') wire.push(frame as RunEvent);
      });
    }
  }
  let ticket = firstTicket;
  const client = createWsClient({
    url,
    WebSocket: RecordingWebSocket as unknown as WebSocketConstructor,
    auth: {
      ticket: async () => {
        const t = ticket ?? (await rest.createWsTicket()).ticket;
        ticket = undefined;
        return t;
      },
    },
    maxReconnectAttempts: 2,
    heartbeatMs: 0,
  });
  client.on('event', (e) => {
    delivered.push(e);
    for (const w of [...waiters]) {
      if (w.predicate(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  return {
    client,
    wire,
    delivered,
    until: (predicate) =>
      new Promise((resolve, reject) => {
        const seen = delivered.find(predicate);
        if (seen) return resolve(seen);
        const stops: Array<() => void> = [];
        const finish = () => stops.forEach((stop) => stop());
        waiters.push({ predicate, resolve: (e) => (finish(), resolve(e)) });
        stops.push(
          client.on('status', (status, info) => {
            if (status === 'closed') (finish(), reject(new SmokeFailure(`socket closed: ${info.reason ?? 'no reason'}`)));
          }),
          client.on('error', (e) => (finish(), reject(new SmokeFailure(`socket error: ${e.message}`)))),
        );
      }),
  };
}

/** Seqs on the wire are afterSeq+1, afterSeq+2... with no gap, no duplicate, one run. */
function checkWireOrder(events: RunEvent[], afterSeq: number): void {
  check(events.length > 0, 'no event arrived');
  events.forEach((e, i) => {
    const expected = afterSeq + i + 1;
    if (e.seq !== expected) {
      const seen = events.slice(Math.max(0, i - 2), i + 2).map((x) => x.seq).join(',');
      throw new SmokeFailure(`seq ${e.seq} (${e.type}) arrived where ${expected} was due; seqs around it: ${seen}`);
    }
  });
}

function compareEvents(actual: RunEvent[], expected: RunEvent[], what: string): void {
  check(actual.length === expected.length, `${what}: ${actual.length} events, streamed ${expected.length}`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    const same =
      a.seq === e.seq &&
      a.type === e.type &&
      a.runId === e.runId &&
      a.threadId === e.threadId &&
      Date.parse(a.ts) === Date.parse(e.ts) &&
      canonicalJson(a.data) === canonicalJson(e.data);
    if (!same) throw new SmokeFailure(`${what}: event seq ${e.seq} differs: ${JSON.stringify(a).slice(0, 200)} vs ${JSON.stringify(e).slice(0, 200)}`);
  });
}

/**
 * A small, deterministic usage dataset over the last 14 days: two projects, three models, a
 * repeated system-prompt prefix (cacheable), a non-interactive summarizer (batchable), a few
 * errors and retries. Fixed ids make a re-upload to the same account count as duplicates.
 */
export function smokeUsageNdjson(count: number, nowMs: number): string {
  const random = createSeededRandom(20_261_124).next;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const end = Math.floor(nowMs / 3_600_000) * 3_600_000;
  const span = 14 * 24 * 3_600_000;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const slice = pick([
      { project: 'support', feature: 'answer', model: 'gpt-4o', provider: 'openai', interactive: true, prefix: 'support-system-v3' },
      { project: 'support', feature: 'classify', model: 'gpt-4o', provider: 'openai', interactive: true, prefix: 'classify-v1' },
      { project: 'research', feature: 'summarize', model: 'claude-3-5-sonnet-20241022', provider: 'anthropic', interactive: false, prefix: undefined },
      { project: 'research', feature: 'extract', model: 'gpt-4o-mini', provider: 'openai', interactive: true, prefix: undefined },
    ] as const);
    const inputTokens = 800 + Math.floor(random() * 3200);
    const roll = random();
    const record: UsageRecordInput = {
      id: `smoke-${String(i + 1).padStart(4, '0')}`,
      ts: new Date(end - Math.floor(random() * span)).toISOString(),
      provider: slice.provider,
      model: slice.model,
      project: slice.project,
      feature: slice.feature,
      inputTokens,
      outputTokens: slice.feature === 'classify' ? 5 + Math.floor(random() * 20) : 150 + Math.floor(random() * 700),
      latencyMs: 300 + Math.floor(random() * 4000),
      status: roll < 0.04 ? 'timeout' : roll < 0.1 ? 'error' : 'ok',
      interactive: slice.interactive,
      maxOutputTokens: 4096,
      attempt: roll < 0.1 && random() < 0.5 ? 2 : 1,
    };
    if (slice.prefix) {
      record.promptPrefixHash = slice.prefix;
      record.prefixTokens = Math.min(700, inputTokens);
    }
    lines.push(JSON.stringify(record));
  }
  return `${lines.join('\n')}\n`;
}

function withDeadline<T>(promise: Promise<T>, deadline: number, name: string): Promise<T> {
  const left = deadline - Date.now();
  if (left <= 0) return Promise.reject(new SmokeFailure(`no time left before ${name}`));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SmokeFailure(`timed out after ${left} ms (smoke time limit)`)), left);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function reasonOf(error: unknown): string {
  if (error instanceof SmokeFailure) return error.message;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const status = (error as { status?: unknown }).status;
    const prefix = typeof code === 'string' ? `${code}${typeof status === 'number' && status ? ` (HTTP ${status})` : ''}: ` : '';
    return `${prefix}${error.message}`;
  }
  return String(error);
}
