import { randomUUID } from 'node:crypto';
import { WS_BEARER_PREFIX } from '@tally/protocol';
import WebSocket from 'ws';
import { sentAtsOf, wallNow } from './mock-llm.js';
import type { LatencyHistogram } from './histogram.js';
import { SeqTracker } from './seq-tracker.js';

const TERMINAL = new Set(['run_completed', 'run_failed', 'run_cancelled']);

/** What the harness reads of a run event frame. */
interface RunFrame {
  type: string;
  runId: string;
  threadId: string;
  seq: number;
  fromSeq?: number;
  /** The server's clock when it made the event (ISO, ms). */
  ts: string;
  data: { text?: string; agent?: string };
}

/** One run as a client follows it: seqs checked, delta latencies recorded, ended by its terminal event. */
export class RunWatch {
  readonly tracker: SeqTracker;
  terminalSeq: number | undefined;
  terminalType: string | undefined;
  /** Wall times (wallNow) the first message_delta and the terminal event arrived: the run was live in between. */
  firstDeltaAt: number | undefined;
  terminalAt: number | undefined;
  /** message_delta events received (a merged frame counts for every seq it stands for). */
  deltas = 0;
  /** LLM chunks received: the stamped pieces of text in those deltas (a node may join several into one). */
  chunks = 0;
  /** Wall time the last event arrived. */
  lastReceivedAt: number | undefined;
  /** Longest wait for an event after `gapsFrom` (set it to measure a pause, e.g. a node's death). */
  gapsFrom: number | undefined;
  longestGapMs = 0;
  /**
   * Server times (ms, from each event's ts) of the run's first events before its answer, by
   * `<type>:<agent>` (e.g. agent_started:triage) and `first_delta`: where the time before the
   * first token went. Only the first of each is kept; deltas after the first are not parsed.
   */
  readonly milestones = new Map<string, number>();
  /** Every frame of the run as received (only kept when asked, e.g. to make the baseline's template). */
  readonly frames: string[] | undefined;
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly runId: string,
    afterSeq: number,
    private readonly latency: LatencyHistogram | undefined,
    keepFrames = false,
  ) {
    this.tracker = new SeqTracker(afterSeq);
    this.frames = keepFrames ? [] : undefined;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  receive(frame: RunFrame, raw: string, receivedAt: number): void {
    this.frames?.push(raw);
    if (this.gapsFrom !== undefined && receivedAt >= this.gapsFrom) {
      this.longestGapMs = Math.max(this.longestGapMs, receivedAt - Math.max(this.gapsFrom, this.lastReceivedAt ?? 0));
    }
    this.lastReceivedAt = receivedAt;
    this.tracker.record(frame.seq, frame.fromSeq);
    if (this.firstDeltaAt === undefined && frame.ts) {
      const key = frame.type === 'message_delta' ? 'first_delta' : `${frame.type}:${frame.data.agent ?? ''}`;
      if (!this.milestones.has(key)) this.milestones.set(key, Date.parse(frame.ts));
    }
    if (frame.type === 'message_delta') {
      this.firstDeltaAt ??= receivedAt;
      this.deltas += frame.seq - (frame.fromSeq ?? frame.seq) + 1;
    }
    if (frame.type === 'message_delta' && frame.data.text) {
      // Every chunk's own delay: a joined delta carries chunks the LLM wrote at different times.
      for (const sentAt of sentAtsOf(frame.data.text)) {
        this.chunks++;
        this.latency?.recordMs(receivedAt - sentAt);
      }
    }
    if (TERMINAL.has(frame.type)) {
      this.terminalSeq = frame.seq;
      this.terminalType = frame.type;
      this.terminalAt = receivedAt;
      this.resolveDone();
    }
  }
}

/**
 * A protocol client for the harness on the bare `ws` library (no SDK layers, no validation: the
 * harness must cost little per frame). Commands resolve with their ack's data; run events go to
 * the RunWatch of their run; events of a run not (yet) watched wait until it is.
 */
export class BenchSocket {
  readonly runs = new Map<string, RunWatch>();
  private readonly pending = new Map<string, { resolve: (data: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  private readonly early = new Map<string, Array<[RunFrame, string, number]>>();
  closeCode: number | undefined;
  /** Frames received at all (a reader that never reads receives none). */
  framesReceived = 0;

  /**
   * The workspace every command names (the protocol asks each for one): the bench's users ask in
   * their personal workspace, whose id is the user's (workspaces/personal-workspace.ts), read from
   * the bearer token's subject; none for a socket opened with a ticket or to the bare server.
   */
  readonly workspaceId: string | undefined;

  private constructor(
    readonly socket: WebSocket,
    workspaceId: string | undefined,
  ) {
    this.workspaceId = workspaceId;
    socket.on('message', (data) => this.onMessage(data.toString(), wallNow()));
    socket.on('close', (code) => {
      this.closeCode = code;
      for (const { reject } of this.pending.values()) reject(new Error(`socket closed (${code})`));
      this.pending.clear();
    });
  }

  /** Opens a socket; `protocols` for the bearer subprotocol, a `?ticket=` in the URL otherwise. */
  static open(url: string, options: { protocols?: string[]; workspaceId?: string } = {}): Promise<BenchSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options.protocols ?? [], { perMessageDeflate: false });
      socket.once('open', () => resolve(new BenchSocket(socket, options.workspaceId ?? bearerSubject(options.protocols))));
      socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: HTTP ${response.statusCode}`)));
      socket.once('error', reject);
    });
  }

  command(type: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ v: 1, id, type, data: this.withWorkspace(type, data) }));
    });
  }

  /** A command's data naming this socket's workspace (ping names none), unless it names one itself. */
  withWorkspace(type: string, data: Record<string, unknown>): Record<string, unknown> {
    return this.workspaceId === undefined || type === 'ping' || 'workspaceId' in data ? data : { workspaceId: this.workspaceId, ...data };
  }

  /** Starts watching a run: frames that came before this call are handed over now. */
  watch(runId: string, options: { afterSeq?: number; latency?: LatencyHistogram; keepFrames?: boolean } = {}): RunWatch {
    const watch = new RunWatch(runId, options.afterSeq ?? 0, options.latency, options.keepFrames);
    this.runs.set(runId, watch);
    for (const [frame, raw, at] of this.early.get(runId) ?? []) watch.receive(frame, raw, at);
    this.early.delete(runId);
    return watch;
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }

  private onMessage(raw: string, receivedAt: number): void {
    this.framesReceived++;
    const frame = JSON.parse(raw) as { type: string; id?: string; data?: Record<string, unknown>; code?: string; message?: string; runId?: string };
    if (frame.type === 'ack' && frame.id) {
      this.pending.get(frame.id)?.resolve(frame.data ?? {});
      this.pending.delete(frame.id);
      return;
    }
    if (frame.type === 'error') {
      const waiting = frame.id ? this.pending.get(frame.id) : undefined;
      if (waiting) {
        waiting.reject(new Error(`${frame.code}: ${frame.message}`));
        this.pending.delete(frame.id!);
      }
      return;
    }
    if (typeof frame.runId !== 'string' || frame.type === 'thread_activity') return;
    const runFrame = frame as unknown as RunFrame;
    const watch = this.runs.get(runFrame.runId);
    if (watch) watch.receive(runFrame, raw, receivedAt);
    else {
      let list = this.early.get(runFrame.runId);
      if (!list) this.early.set(runFrame.runId, (list = []));
      list.push([runFrame, raw, receivedAt]);
    }
  }
}

/** The subject (user id) of the access token a socket offers as its bearer subprotocol, if any. */
function bearerSubject(protocols: string[] | undefined): string | undefined {
  const token = protocols?.find((p) => p.startsWith(WS_BEARER_PREFIX))?.slice(WS_BEARER_PREFIX.length);
  const payload = token?.split('.')[1];
  if (!payload) return undefined;
  const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
  return typeof sub === 'string' ? sub : undefined;
}
