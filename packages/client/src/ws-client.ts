import {
  CLOSE_CODES,
  PROTOCOL_VERSION,
  SendMessageAckDataSchema,
  SubscribeAckDataSchema,
  type CommandType,
  type RunEvent,
} from '@tally/protocol';
import type { z } from 'zod';
import { backoffDelay } from './backoff.js';
import {
  TallyApiError,
  TallyCommandError,
  TallyConnectionError,
  TallyTimeoutError,
  isAuthError,
} from './errors.js';
import { createListenerRegistry } from './listener-registry.js';
import { randomId } from './random-id.js';
import { createSeqTracker } from './seq-tracker.js';
import { frameText, parseServerFrame } from './server-frame.js';
import type {
  ConnectionInfo,
  ConnectionStatus,
  Timers,
  WebSocketLike,
  WsClient,
  WsClientListeners,
  WsClientOptions,
} from './ws-client-types.js';
import { resolveWsTarget } from './ws-target.js';

export type * from './ws-client-types.js';

interface Pending {
  id: string;
  type: CommandType;
  data: Record<string, unknown>;
  resolve: (answer: CommandAnswer) => void;
  reject: (error: Error) => void;
  timer: unknown;
  /** Generation of the socket it was last written to; -1 while queued. */
  sentOn: number;
  /** Sent on a socket that then dropped. */
  resent: boolean;
  /** Not started by the application (resubscribes, heartbeats): failures go to `error` listeners. */
  internal: boolean;
}

interface CommandAnswer {
  data: Record<string, unknown>;
  /** The command went out on a socket that dropped, and again on a new one. */
  resent: boolean;
}

const OPEN = 1;
/** A connection open this long resets the backoff. */
const STABLE_AFTER_MS = 5_000;

export function createWsClient(options: WsClientOptions): WsClient {
  const timers: Timers = options.timers ?? {
    setTimeout: (cb, ms) => globalThis.setTimeout(cb, ms),
    clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  const random = options.random ?? Math.random;
  const createId = options.createId ?? randomId;
  const now = options.now ?? Date.now;
  const commandTimeoutMs = options.commandTimeoutMs ?? 15_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const heartbeatMs = options.heartbeatMs ?? 25_000;
  const gapResubscribeMs = options.gapResubscribeMs ?? 2_000;
  const maxAttempts = options.maxReconnectAttempts ?? Number.POSITIVE_INFINITY;

  const tracker = createSeqTracker<{ runId: string; seq: number; fromSeq?: number | undefined; type: string; event: RunEvent | null }>();
  /** Watched threads, and the workspace of each followed run: commands name the workspace again on resubscribe. */
  const watchedThreads = new Map<string, string>();
  const runWorkspaces = new Map<string, string>();
  const pending = new Map<string, Pending>();
  const listeners = createListenerRegistry();
  const gapTimers = new Map<string, unknown>();
  let connectWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  let status: ConnectionStatus = 'idle';
  let socket: WebSocketLike | undefined;
  /** Bumped per connection attempt: events of an older socket are ignored. */
  let generation = 0;
  let attempt = 0;
  let everOpened = false;
  let reconnectTimer: unknown;
  let connectTimer: unknown;
  let heartbeatTimer: unknown;
  let stableTimer: unknown;

  function emit<K extends keyof WsClientListeners>(type: K, ...args: Parameters<WsClientListeners[K]>): void {
    // A throwing 'error' listener is not reported to itself.
    listeners.emit(type, args, (error) => type !== 'error' && emit('error', error));
  }

  function setStatus(next: ConnectionStatus, info: ConnectionInfo = {}): void {
    status = next;
    emit('status', next, info);
  }

  async function openSocket(): Promise<void> {
    const gen = ++generation;
    setStatus(everOpened || attempt > 0 ? 'reconnecting' : 'connecting', { attempt });
    let target: { url: string; protocols?: string[] };
    try {
      target = await resolveWsTarget(options.url, options.auth);
    } catch (error) {
      if (gen !== generation) return;
      // A refused credential will not get better by retrying: stop and tell the application.
      if (isAuthError(error)) return giveUp(error as Error);
      return retryLater(`could not get credentials: ${(error as Error).message}`);
    }
    if (gen !== generation) return; // closed while the ticket was on its way
    let ws: WebSocketLike;
    try {
      ws = new options.WebSocket(target.url, target.protocols);
    } catch (error) {
      const where = target.url.replace(/\?.*$/, '');
      return giveUp(new TallyConnectionError(`cannot open ${where}: ${(error as Error).message}`, error));
    }
    socket = ws;
    connectTimer = timers.setTimeout(() => {
      if (gen === generation) dropSocket(`no connection within ${connectTimeoutMs} ms`);
    }, connectTimeoutMs);
    ws.addEventListener('open', () => gen === generation && onOpen());
    ws.addEventListener('message', (e) => gen === generation && onFrame(e.data));
    ws.addEventListener('close', (e) => {
      if (gen !== generation) return;
      socket = undefined;
      disconnected(gen, `closed with ${e.code}${e.reason ? ` (${e.reason})` : ''}`, e.code);
    });
    // 'error' is always followed by 'close', which does the work.
    ws.addEventListener('error', () => undefined);
  }

  function onOpen(): void {
    timers.clearTimeout(connectTimer);
    // The backoff starts over only once a connection has held for a while, so a server that
    // accepts and at once closes (a policy close, a crash loop) still sees growing delays.
    const gen = generation;
    stableTimer = timers.setTimeout(() => {
      if (gen === generation) attempt = 0;
    }, STABLE_AFTER_MS);
    everOpened = true;
    setStatus('open');
    for (const waiter of connectWaiters) waiter.resolve();
    connectWaiters = [];
    resume();
    scheduleHeartbeat();
  }

  /** After (re)connecting: re-subscribe open runs from their last seq, then flush the commands. */
  function resume(): void {
    const subscribesByRun = new Map<string, Pending>();
    for (const p of pending.values()) if (p.type === 'subscribe') subscribesByRun.set(String(p.data.runId), p);
    for (const { runId, lastSeq } of tracker.openRuns()) {
      const workspaceId = runWorkspaces.get(runId);
      if (!subscribesByRun.has(runId) && workspaceId) internalCommand('subscribe', { workspaceId, runId, afterSeq: lastSeq });
    }
    for (const [threadId, workspaceId] of watchedThreads) internalCommand('watch_thread', { workspaceId, threadId });
    for (const p of [...pending.values()]) {
      if (p.sentOn === generation) continue;
      if (p.type === 'subscribe') {
        // A fresh id: an id the server has seen might be answered from its idempotency memory
        // without subscribing this new socket.
        pending.delete(p.id);
        p.id = createId();
        p.data = { ...p.data, afterSeq: tracker.lastSeq(String(p.data.runId)) ?? p.data.afterSeq ?? 0 };
        pending.set(p.id, p);
      } else if (p.type === 'unsubscribe') {
        // The new socket holds no subscription to that run: nothing left to do.
        settle(p);
        p.resolve({ data: {}, resent: p.resent });
        continue;
      } else if (p.type === 'ping' && p.sentOn !== -1) {
        settle(p);
        p.reject(new TallyConnectionError('connection lost before the ping was answered'));
        continue;
      }
      // send_message and stop_run keep their id: the server answers a resend without acting twice.
      transmit(p);
    }
  }

  function onFrame(raw: unknown): void {
    const parsed = parseServerFrame(frameText(raw));
    switch (parsed.kind) {
      case 'ack': {
        const p = pending.get(parsed.frame.id);
        if (p) {
          settle(p);
          p.resolve({ data: parsed.frame.data, resent: p.resent });
        }
        return;
      }
      case 'error': {
        const { id, code, message } = parsed.frame;
        const p = id === null ? undefined : pending.get(id);
        const error = new TallyCommandError(id, code, message);
        if (!p) return emit('error', error);
        settle(p);
        p.reject(error);
        return;
      }
      case 'event':
        return onEvent({ runId: parsed.event.runId, seq: parsed.event.seq, fromSeq: parsed.event.fromSeq, type: parsed.event.type, event: parsed.event });
      case 'activity':
        return emit('activity', parsed.frame);
      case 'access_ended': {
        // The server ended these: not renewed after a reconnect.
        for (const runId of parsed.frame.runIds) forgetRun(runId);
        for (const threadId of parsed.frame.threadIds) watchedThreads.delete(threadId);
        return emit('workspaceAccessEnded', parsed.frame);
      }
      case 'thread_access_ended': {
        // The author stopped sharing the thread: its runs and its watch are not renewed either.
        for (const runId of parsed.frame.runIds) forgetRun(runId);
        watchedThreads.delete(parsed.frame.threadId);
        return emit('threadAccessEnded', parsed.frame);
      }
      case 'usage_changed':
        return emit('usageChanged', parsed.frame);
      case 'unreadable_event':
        emit('error', new TallyApiError(0, 'CLIENT_BAD_FRAME', parsed.reason));
        return onEvent({ runId: parsed.runId, seq: parsed.seq, type: parsed.type, event: null });
      case 'invalid':
        return emit('error', new TallyApiError(0, 'CLIENT_BAD_FRAME', parsed.reason));
      default: {
        const never: never = parsed;
        return never;
      }
    }
  }

  function onEvent(tracked: { runId: string; seq: number; fromSeq?: number | undefined; type: string; event: RunEvent | null }): void {
    for (const t of tracker.accept(tracked)) {
      if (!t.event) continue;
      emit('event', t.event);
      listeners.emit(`run:${t.type}`, [t.event], (error) => emit('error', error));
    }
    const { runId } = tracked;
    if (tracker.hasGap(runId) && !gapTimers.has(runId)) {
      gapTimers.set(
        runId,
        timers.setTimeout(() => {
          gapTimers.delete(runId);
          // The server promises no gap; if one lasts, ask for the log again from where we are.
          const workspaceId = runWorkspaces.get(runId);
          if (tracker.hasGap(runId) && status === 'open' && workspaceId) {
            internalCommand('subscribe', { workspaceId, runId, afterSeq: tracker.lastSeq(runId) ?? 0 });
          }
        }, gapResubscribeMs),
      );
    }
  }

  /** The socket of generation `gen` is gone: settle what died with it and plan the next attempt. */
  function disconnected(gen: number, reason: string, code?: number): void {
    timers.clearTimeout(connectTimer);
    timers.clearTimeout(heartbeatTimer);
    timers.clearTimeout(stableTimer);
    for (const p of [...pending.values()]) {
      if (p.sentOn === gen) p.resent = true;
      if (p.internal && p.sentOn === gen) {
        // Heartbeats and resubscribes of the dead socket: resume() will redo what is needed.
        settle(p);
        p.reject(new TallyConnectionError('connection lost'));
      }
    }
    if (status === 'closed') return;
    // A server going down asks us to come back elsewhere at once, not after a backoff.
    if (code === CLOSE_CODES.RECONNECT_ELSEWHERE) attempt = 0;
    retryLater(reason);
  }

  function dropSocket(reason: string): void {
    const ws = socket;
    const gen = generation;
    socket = undefined;
    generation += 1; // ignore whatever the old socket still says
    try {
      ws?.close();
    } catch {
      // already closing
    }
    disconnected(gen, reason);
  }

  function retryLater(reason: string): void {
    if (attempt >= maxAttempts) {
      return giveUp(new TallyConnectionError(`gave up after ${attempt} failed attempts: ${reason}`));
    }
    const retryInMs = backoffDelay(attempt, random, options.backoff);
    attempt += 1;
    setStatus('reconnecting', { reason, attempt, retryInMs });
    timers.clearTimeout(reconnectTimer);
    reconnectTimer = timers.setTimeout(() => void openSocket(), retryInMs);
  }

  function giveUp(error: Error): void {
    shutDown(error);
    emit('error', error);
  }

  function shutDown(error: Error): void {
    generation += 1;
    timers.clearTimeout(reconnectTimer);
    timers.clearTimeout(connectTimer);
    timers.clearTimeout(heartbeatTimer);
    timers.clearTimeout(stableTimer);
    for (const t of gapTimers.values()) timers.clearTimeout(t);
    gapTimers.clear();
    const ws = socket;
    socket = undefined;
    try {
      ws?.close(CLOSE_CODES.NORMAL);
    } catch {
      // already closing
    }
    for (const p of [...pending.values()]) {
      settle(p);
      p.reject(error);
    }
    for (const waiter of connectWaiters) waiter.reject(error);
    connectWaiters = [];
    attempt = 0;
    setStatus('closed', { reason: error.message });
  }

  function scheduleHeartbeat(): void {
    if (heartbeatMs <= 0) return;
    timers.clearTimeout(heartbeatTimer);
    heartbeatTimer = timers.setTimeout(() => {
      if (status !== 'open') return;
      const gen = generation;
      const p = internalCommand('ping', {}, Math.min(commandTimeoutMs, heartbeatMs));
      p.then(
        () => gen === generation && scheduleHeartbeat(),
        () => gen === generation && status === 'open' && dropSocket('heartbeat got no answer'),
      );
    }, heartbeatMs);
  }

  function transmit(p: Pending): void {
    if (!socket || socket.readyState !== OPEN || status !== 'open') return; // resume() sends it
    try {
      socket.send(JSON.stringify({ v: PROTOCOL_VERSION, id: p.id, type: p.type, data: p.data }));
      p.sentOn = generation;
    } catch {
      // The socket is going down; its close event leads to resume(), which sends it again.
    }
  }

  function settle(p: Pending): void {
    timers.clearTimeout(p.timer);
    pending.delete(p.id);
  }

  function command(
    type: CommandType,
    data: Record<string, unknown>,
    internal = false,
    timeoutMs = commandTimeoutMs,
  ): Promise<CommandAnswer> {
    if (status === 'idle' || status === 'closed') {
      return Promise.reject(new TallyConnectionError(`not connected (status ${status}); call connect() first`));
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { id: createId(), type, data, resolve, reject, timer: undefined, sentOn: -1, resent: false, internal };
      p.timer = timers.setTimeout(() => {
        pending.delete(p.id);
        reject(new TallyTimeoutError(type, timeoutMs));
      }, timeoutMs);
      pending.set(p.id, p);
      transmit(p);
    });
  }

  function internalCommand(type: CommandType, data: Record<string, unknown>, timeoutMs?: number): Promise<unknown> {
    const promise = command(type, data, true, timeoutMs);
    promise.then(
      () => undefined,
      (error: Error) => {
        if (error instanceof TallyConnectionError) return; // redone after the reconnect
        if (type === 'subscribe' && error instanceof TallyCommandError && error.code === 'RUN_NOT_FOUND') {
          forgetRun(String(data.runId));
        }
        if (type !== 'ping') emit('error', error);
      },
    );
    return promise;
  }

  function forgetRun(runId: string): void {
    tracker.drop(runId);
    runWorkspaces.delete(runId);
  }

  function parseAck<S extends z.ZodType>(schema: S, type: CommandType, data: Record<string, unknown>): z.infer<S> {
    const r = schema.safeParse(data);
    if (!r.success) throw new TallyApiError(0, 'CLIENT_UNEXPECTED_RESPONSE', `unexpected ${type} ack: ${r.error.message}`);
    return r.data;
  }

  return {
    get status() {
      return status;
    },
    connect() {
      if (status === 'open') return Promise.resolve();
      const wait = new Promise<void>((resolve, reject) => connectWaiters.push({ resolve, reject }));
      if (status === 'idle' || status === 'closed') {
        attempt = 0;
        void openSocket();
      }
      return wait;
    },
    close() {
      if (status === 'closed' || status === 'idle') return;
      shutDown(new TallyConnectionError('the client was closed'));
    },
    async sendMessage(data) {
      const payload: Record<string, unknown> = { workspaceId: data.workspaceId, text: data.text };
      if (data.threadId !== undefined) payload.threadId = data.threadId;
      if (data.onBusy !== undefined) payload.onBusy = data.onBusy;
      const answer = await command('send_message', payload);
      const ack = parseAck(SendMessageAckDataSchema, 'send_message', answer.data);
      tracker.ensure(ack.runId);
      runWorkspaces.set(ack.runId, data.workspaceId);
      if (answer.resent && status === 'open') {
        // The server subscribes the socket that sent the command; after a resend on a new socket
        // we subscribe explicitly (duplicates, if the server did it too, are dropped by seq).
        internalCommand('subscribe', { workspaceId: data.workspaceId, runId: ack.runId, afterSeq: tracker.lastSeq(ack.runId) ?? 0 });
      }
      return ack;
    },
    async stopRun(workspaceId, runId) {
      await command('stop_run', { workspaceId, runId });
    },
    async subscribe(workspaceId, runId, afterSeq) {
      const from = afterSeq ?? tracker.lastSeq(runId) ?? 0;
      tracker.follow(runId, from);
      runWorkspaces.set(runId, workspaceId);
      const answer = await command('subscribe', { workspaceId, runId, afterSeq: from });
      return parseAck(SubscribeAckDataSchema, 'subscribe', answer.data);
    },
    async unsubscribe(workspaceId, runId) {
      forgetRun(runId);
      if (status !== 'open') return;
      await command('unsubscribe', { workspaceId, runId });
    },
    async watchThread(workspaceId, threadId) {
      watchedThreads.set(threadId, workspaceId);
      if (status === 'open') await command('watch_thread', { workspaceId, threadId });
    },
    async unwatchThread(workspaceId, threadId) {
      watchedThreads.delete(threadId);
      if (status === 'open') await command('unwatch_thread', { workspaceId, threadId });
    },
    async ping() {
      const started = now();
      await command('ping', {});
      return now() - started;
    },
    lastSeq: (runId) => tracker.lastSeq(runId),
    on: (type, listener) => listeners.add(type, listener),
    onRunEvent: (type, listener) => listeners.add(`run:${type}`, listener),
  };
}
