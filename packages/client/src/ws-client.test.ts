import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TallyApiError, TallyCommandError, TallyConnectionError, TallyTimeoutError } from './errors.js';
import { createWsClient, type WebSocketLike, type WsClientOptions } from './ws-client.js';
import type { RunEvent } from '@tally/protocol';

const RUN = '11111111-1111-4111-8111-111111111111';
const THREAD = '22222222-2222-4222-8222-222222222222';
const WORKSPACE = '33333333-3333-4333-8333-333333333333';
const MSG = '33333333-3333-4333-8333-333333333333';

/** A scripted stand-in for the server end of each socket the client opens. */
class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly sent: Array<{ v: number; id: string; type: string; data: Record<string, unknown> }> = [];
  private readonly handlers = new Map<string, Array<(e: never) => void>>();
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {}
  addEventListener(type: string, listener: (e: never) => void): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), listener]);
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  private fire(type: string, event: unknown): void {
    for (const h of this.handlers.get(type) ?? []) (h as (e: unknown) => void)(event);
  }
  // server side
  accept(): void {
    this.readyState = 1;
    this.fire('open', {});
  }
  push(frame: unknown): void {
    this.fire('message', { data: JSON.stringify(frame) });
  }
  ack(type: string, data: Record<string, unknown>): void {
    const cmd = this.sent.findLast((f) => f.type === type);
    if (!cmd) throw new Error(`no ${type} sent`);
    this.push({ v: 1, type: 'ack', id: cmd.id, data });
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.fire('error', {});
    this.fire('close', { code, reason: '' });
  }
}

function event(seq: number, type: RunEvent['type'] = 'agent_thinking'): RunEvent {
  const data: Record<string, unknown> =
    type === 'run_queued'
      ? { messageId: MSG, text: 'hi' }
      : type === 'run_completed'
        ? { messageId: MSG, answer: 'done', report: null }
        : { agent: 'supervisor', text: `t${seq}` };
  return { v: 1, type, runId: RUN, threadId: THREAD, seq, ts: new Date(0).toISOString(), data } as RunEvent;
}

function setup(overrides: Partial<WsClientOptions> = {}) {
  const sockets: FakeSocket[] = [];
  let tickets = 0;
  const Ctor = class extends FakeSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  };
  const client = createWsClient({
    url: 'http://tally.test:8080/',
    WebSocket: Ctor,
    auth: { ticket: async () => `ticket-${++tickets}` },
    random: () => 0.5,
    heartbeatMs: 0,
    ...overrides,
  });
  const events: RunEvent[] = [];
  const statuses: string[] = [];
  client.on('event', (e) => events.push(e));
  client.on('status', (s) => statuses.push(s));
  const last = () => sockets.at(-1)!;
  return { client, sockets, events, statuses, last, seqs: () => events.map((e) => e.seq) };
}

/** Lets the ticket promise and the socket creation run. */
const flush = () => vi.advanceTimersByTimeAsync(0);

describe('createWsClient', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('connects with a fresh ticket on the ws URL and resolves once open', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    expect(t.last().url).toBe('ws://tally.test:8080/v1/ws?ticket=ticket-1');
    expect(t.last().protocols).toBeUndefined();
    t.last().accept();
    await connected;
    expect(t.client.status).toBe('open');
    expect(t.statuses).toEqual(['connecting', 'open']);
  });

  it('offers the bearer subprotocols when asked to', async () => {
    const t = setup({ auth: { bearer: () => 'tok' } });
    void t.client.connect();
    await flush();
    expect(t.last().url).toBe('ws://tally.test:8080/v1/ws');
    expect(t.last().protocols).toEqual(['tally.v1', 'bearer.tok']);
  });

  it('sends a message, resolves with the ack and delivers its events once, in order', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    const sent = t.client.sendMessage({ workspaceId: WORKSPACE, text: 'Where is my AI money going?' });
    const cmd = t.last().sent[0]!;
    expect(cmd).toMatchObject({ v: 1, type: 'send_message', data: { text: 'Where is my AI money going?' } });
    // Events may come before the ack: the server subscribed the sender itself.
    t.last().push(event(1, 'run_queued'));
    t.last().push({ v: 1, type: 'ack', id: cmd.id, data: { runId: RUN, threadId: THREAD, messageId: MSG } });
    await expect(sent).resolves.toEqual({ runId: RUN, threadId: THREAD, messageId: MSG });
    t.last().push(event(3));
    t.last().push(event(2));
    t.last().push(event(2));
    t.last().push(event(4, 'run_completed'));
    expect(t.seqs()).toEqual([1, 2, 3, 4]);
    expect(t.client.lastSeq(RUN)).toBe(4);
  });

  it('rejects a command with the typed error frame, and on timeout', async () => {
    const t = setup({ commandTimeoutMs: 1000 });
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    const stopped = t.client.stopRun(WORKSPACE, RUN);
    const cmd = t.last().sent[0]!;
    t.last().push({ v: 1, type: 'error', id: cmd.id, code: 'RUN_NOT_FOUND', message: 'Run not found.' });
    const error = await stopped.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TallyCommandError);
    expect(error).toMatchObject({ code: 'RUN_NOT_FOUND', status: 404, commandId: cmd.id });

    const timedOut = t.client.ping().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await timedOut).toBeInstanceOf(TallyTimeoutError);
  });

  it('reconnects with backoff, resubscribes from the last seq and resends send_message with the same id', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;

    // A run already followed, and a message whose ack is lost with the connection.
    const sub = t.client.subscribe(WORKSPACE, RUN, 0);
    t.last().ack('subscribe', { runId: RUN, threadId: THREAD, status: 'running' });
    await sub;
    t.last().push(event(1, 'run_queued'));
    t.last().push(event(2));
    const sent = t.client.sendMessage({ workspaceId: WORKSPACE, threadId: THREAD, text: 'again' });
    const firstId = t.last().sent.find((f) => f.type === 'send_message')!.id;
    t.last().drop();
    expect(t.client.status).toBe('reconnecting');

    // Backoff attempt 0 with random 0.5: 250/2 + 250/2*0.5 = 188 ms.
    await vi.advanceTimersByTimeAsync(187);
    expect(t.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.sockets).toHaveLength(2);
    expect(t.last().url).toContain('ticket=ticket-2');
    t.last().accept();

    const [resub, resend] = t.last().sent;
    expect(resub).toMatchObject({ type: 'subscribe', data: { workspaceId: WORKSPACE, runId: RUN, afterSeq: 2 } });
    expect(resend).toMatchObject({ type: 'send_message', id: firstId, data: { threadId: THREAD, text: 'again' } });

    const RUN2 = '44444444-4444-4444-8444-444444444444';
    t.last().push({ v: 1, type: 'ack', id: firstId, data: { runId: RUN2, threadId: THREAD, messageId: MSG } });
    await expect(sent).resolves.toMatchObject({ runId: RUN2 });
    // After an ack to a resend, the new socket is subscribed to the new run explicitly.
    expect(t.last().sent.at(-1)).toMatchObject({ type: 'subscribe', data: { workspaceId: WORKSPACE, runId: RUN2, afterSeq: 0 } });

    // The replay overlaps what we had: no duplicate reaches the application.
    t.last().push(event(2));
    t.last().push(event(3));
    expect(t.seqs()).toEqual([1, 2, 3]);
  });

  it('re-keys a pending subscribe after a reconnect and resolves it with the new ack', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    const sub = t.client.subscribe(WORKSPACE, RUN, 5);
    const oldId = t.last().sent[0]!.id;
    t.last().drop(4503); // reconnect elsewhere: no growing backoff
    await vi.advanceTimersByTimeAsync(250);
    t.last().accept();
    const again = t.last().sent[0]!;
    expect(again.type).toBe('subscribe');
    expect(again.id).not.toBe(oldId);
    expect(again.data).toEqual({ workspaceId: WORKSPACE, runId: RUN, afterSeq: 5 });
    t.last().ack('subscribe', { runId: RUN, threadId: THREAD, status: 'running' });
    await expect(sub).resolves.toMatchObject({ status: 'running' });
    expect(t.last().sent).toHaveLength(1); // not subscribed twice
  });

  it('does not resubscribe a finished or unsubscribed run', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    const sub = t.client.subscribe(WORKSPACE, RUN, 0);
    t.last().ack('subscribe', { runId: RUN, threadId: THREAD, status: 'running' });
    await sub;
    t.last().push(event(1, 'run_queued'));
    t.last().push(event(2, 'run_completed'));
    t.last().drop();
    await vi.advanceTimersByTimeAsync(300);
    t.last().accept();
    expect(t.last().sent).toEqual([]);
  });

  // The server ended access to what the socket followed: the client tells of it and, after a drop, neither
  // resubscribes to the run nor re-watches the thread.
  it.each([
    {
      name: 'workspace_access_ended',
      event: 'workspaceAccessEnded' as const,
      frame: { v: 1, type: 'workspace_access_ended', workspaceId: WORKSPACE, role: null, runIds: [RUN], threadIds: [THREAD] },
    },
    {
      name: 'thread_access_ended (an unshared thread)',
      event: 'threadAccessEnded' as const,
      frame: { v: 1, type: 'thread_access_ended', workspaceId: WORKSPACE, threadId: THREAD, reason: 'unshared', runIds: [RUN], watched: true },
    },
  ])('tells of $name and neither resubscribes nor re-watches what the server ended', async ({ event: eventName, frame }) => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    const ended: unknown[] = [];
    t.client.on(eventName, (f: unknown) => ended.push(f));
    const sub = t.client.subscribe(WORKSPACE, RUN, 0);
    t.last().ack('subscribe', { runId: RUN, threadId: THREAD, status: 'running' });
    await sub;
    const watched = t.client.watchThread(WORKSPACE, THREAD);
    t.last().ack('watch_thread', { threadId: THREAD, activeRunIds: [] });
    await watched;
    t.last().push(event(1, 'run_queued'));
    t.last().push(frame);
    expect(ended).toEqual([frame]);
    t.last().drop(4503);
    await vi.advanceTimersByTimeAsync(250);
    t.last().accept();
    expect(t.last().sent).toEqual([]);
  });

  it('emits usage_changed as usageChanged and reports a malformed one as an error', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    const changed: unknown[] = [];
    const errors: Error[] = [];
    t.client.on('usageChanged', (frame) => changed.push(frame));
    t.client.on('error', (error) => errors.push(error));
    const frame = { v: 1, type: 'usage_changed', workspaceId: WORKSPACE, source: 'otlp', at: '2026-12-06T08:00:00.000Z' };
    t.last().push(frame);
    t.last().push({ ...frame, source: 'carrier-pigeon' });
    expect(changed).toEqual([frame]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('bad usage_changed')]);
  });

  it('re-subscribes a run whose gap lasts', async () => {
    const t = setup({ gapResubscribeMs: 500 });
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    const sub = t.client.subscribe(WORKSPACE, RUN, 0);
    t.last().ack('subscribe', { runId: RUN, threadId: THREAD, status: 'running' });
    await sub;
    t.last().push(event(1, 'run_queued'));
    t.last().push(event(3));
    expect(t.seqs()).toEqual([1]);
    await vi.advanceTimersByTimeAsync(500);
    expect(t.last().sent.at(-1)).toMatchObject({ type: 'subscribe', data: { workspaceId: WORKSPACE, runId: RUN, afterSeq: 1 } });
    t.last().push(event(2));
    expect(t.seqs()).toEqual([1, 2, 3]);
  });

  it('drops a silent connection when the heartbeat gets no answer', async () => {
    const t = setup({ heartbeatMs: 1000 });
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.last().sent.at(-1)).toMatchObject({ type: 'ping' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.client.status).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(300);
    expect(t.sockets).toHaveLength(2);
  });

  it('resends a message after a heartbeat found the link dead, then subscribes to its run', async () => {
    const t = setup({ heartbeatMs: 1000 });
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    const sent = t.client.sendMessage({ workspaceId: WORKSPACE, text: 'q' });
    const id = t.last().sent[0]!.id;
    await vi.advanceTimersByTimeAsync(2000); // ping unanswered: the link is dropped by the client
    await vi.advanceTimersByTimeAsync(300);
    t.last().accept();
    expect(t.last().sent[0]).toMatchObject({ type: 'send_message', id });
    t.last().ack('send_message', { runId: RUN, threadId: THREAD, messageId: MSG });
    await sent;
    expect(t.last().sent.at(-1)).toMatchObject({ type: 'subscribe', data: { workspaceId: WORKSPACE, runId: RUN, afterSeq: 0 } });
  });

  it('keeps growing the backoff for a server that accepts and at once closes', async () => {
    const t = setup();
    const delays: number[] = [];
    t.client.on('status', (s, info) => s === 'reconnecting' && info.retryInMs !== undefined && delays.push(info.retryInMs));
    void t.client.connect();
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(2_000);
      t.last().accept();
      t.last().drop(1008);
    }
    expect(delays).toEqual([188, 375, 750]);
  });

  it('gives up after maxReconnectAttempts and rejects what waits', async () => {
    const t = setup({ maxReconnectAttempts: 2 });
    const errors: Error[] = [];
    t.client.on('error', (e) => errors.push(e));
    const connected = t.client.connect().catch((e: unknown) => e);
    await flush();
    t.last().drop();
    await vi.advanceTimersByTimeAsync(1_000);
    t.last().drop();
    await vi.advanceTimersByTimeAsync(1_000);
    t.last().drop();
    expect(await connected).toBeInstanceOf(TallyConnectionError);
    expect(t.sockets).toHaveLength(3);
    expect(t.client.status).toBe('closed');
    expect(errors[0]?.message).toMatch(/gave up after 2/);
  });

  it('stops at once when the ticket is refused', async () => {
    const t = setup({
      auth: {
        ticket: async () => {
          throw new TallyApiError(401, 'AUTH_INVALID_TOKEN', 'expired');
        },
      },
    });
    const error = await t.client.connect().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AUTH_INVALID_TOKEN' });
    expect(t.client.status).toBe('closed');
  });

  it('close() rejects pending commands and stops reconnecting', async () => {
    const t = setup();
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    const sent = t.client.sendMessage({ workspaceId: WORKSPACE, text: 'x' }).catch((e: unknown) => e);
    t.client.close();
    expect(await sent).toBeInstanceOf(TallyConnectionError);
    t.sockets[0]!.drop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
    await expect(t.client.ping()).rejects.toBeInstanceOf(TallyConnectionError);
  });

  it('reports unreadable frames without stalling the run', async () => {
    const t = setup();
    const errors: Error[] = [];
    t.client.on('error', (e) => errors.push(e));
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    t.last().push(event(1, 'run_queued'));
    t.last().push({ v: 1, type: 'future_event', runId: RUN, threadId: THREAD, seq: 2, ts: 'x', data: {} });
    t.last().push(event(3));
    expect(t.seqs()).toEqual([1, 3]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'CLIENT_BAD_FRAME' });
  });

  it('calls typed listeners per event type', async () => {
    const t = setup();
    const texts: string[] = [];
    t.client.onRunEvent('agent_thinking', (e) => texts.push(e.data.text));
    const connected = t.client.connect();
    await flush();
    t.last().accept();
    await connected;
    t.last().push(event(1, 'run_queued'));
    t.last().push(event(2));
    expect(texts).toEqual(['t2']);
  });
});
