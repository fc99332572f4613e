import { isTerminalEvent, type RunEvent } from '@tally/protocol';
import { channels, type Bus } from '../bus/bus.js';
import { eventHeadOf } from './event-head.js';

export interface RunSubscription {
  readonly runId: string;
  /** The workspace the subscriber was authorised in: a reduction of their access there ends it. */
  readonly workspaceId: string;
  /** The run's thread: an unsharing of it ends another member's subscription. */
  readonly threadId: string;
  readonly lastSeq: number;
  /** True once the terminal event was delivered or close() was called. */
  readonly closed: boolean;
  /** Reads the log for events the bus may have lost (after a bus reconnect). */
  resync(): void;
  /**
   * `listenFirst` only: starts delivering what the bus brought since the subscription opened
   * (the log is read only if that does not begin right after `afterSeq`).
   */
  begin(): void;
  close(): Promise<void>;
}

/** The first look at the log after asking for a flush, and the most it backs off to. */
const FIRST_RETRY_MS = 15;
const MAX_RETRY_MS = 250;

/**
 * Delivers a run's events after `afterSeq` exactly once and in order: it listens on the bus
 * first, replays the log, then passes live events on, dropping what it already sent and filling
 * any gap from the log. Events are published before they are logged (the run's emitter writes
 * behind, within TALLY_EVENT_FLUSH_MS), so a gap the log cannot fill yet is in the emitter's
 * buffer: the subscription asks it, on whichever node, to flush (`channels.runFlush`) and looks
 * again soon. The emitter then publishes its last logged event again, which shows a subscriber
 * still behind (one that joined during a pause in the run) its gap.
 */
export async function openRunSubscription(options: {
  bus: Bus;
  runId: string;
  workspaceId: string;
  /** The run's thread (known only once a run this socket starts exists). */
  threadOf: () => string;
  afterSeq: number;
  /** Events of the run with seq > afterSeq, from the log. */
  loadAfter: (afterSeq: number) => Promise<RunEvent[]>;
  /** `raw` is the event's JSON, sent as is. */
  deliver: (raw: string, event: Pick<RunEvent, 'seq' | 'type'>) => void;
  /** Called once, after the terminal event was delivered. */
  onEnd: () => void;
  onError: (error: unknown) => void;
  /**
   * For a run that does not exist yet (the caller is about to start it): listen only, deliver
   * nothing until begin(). Every event of the run is then published after this subscription
   * listened, so it needs no replay from the log unless the bus lost something.
   */
  listenFirst?: boolean;
}): Promise<RunSubscription> {
  const { bus, runId } = options;
  let last = options.afterSeq;
  let filling = true;
  let closed = false;
  const pending: string[] = [];
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = FIRST_RETRY_MS;

  const requestFlush = () => void bus.publish(channels.runFlush(runId), '').catch(() => undefined);

  const unsubscribe = await bus.subscribe(channels.runEvents(runId), (raw) => {
    if (closed) return;
    pending.push(raw);
    if (!filling) drain();
  });

  function send(raw: string, event: Pick<RunEvent, 'seq' | 'type'>) {
    last = event.seq;
    options.deliver(raw, event);
    if (isTerminalEvent(event.type)) void end();
  }

  function drain() {
    while (!closed && !filling && pending.length > 0) {
      const raw = pending.shift()!;
      const head = eventHeadOf(raw);
      if (head.seq <= last) continue;
      if (head.seq === last + 1) {
        send(raw, head);
      } else {
        pending.unshift(raw);
        void fill();
      }
    }
  }

  async function fill() {
    filling = true;
    const before = last;
    try {
      for (const event of await options.loadAfter(last)) {
        if (closed) return;
        if (event.seq === last + 1) send(JSON.stringify(event), event);
      }
    } catch (error) {
      // A read that fails after the subscription closed (its socket gone, the node shutting down) has no one to tell.
      if (!closed) options.onError(error);
    } finally {
      filling = false;
    }
    if (last === before && pending.length > 0) {
      // The log does not have the missing events yet: they wait in the emitter's buffer.
      requestFlush();
      retryTimer ??= setTimeout(() => {
        retryTimer = undefined;
        void fill();
      }, retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      return;
    }
    retryMs = FIRST_RETRY_MS;
    drain();
  }

  async function end() {
    if (closed) return;
    closed = true;
    if (retryTimer) clearTimeout(retryTimer);
    pending.length = 0;
    await unsubscribe();
    options.onEnd();
  }

  if (!options.listenFirst) {
    await fill();
    // Events published before this subscription listened may still be only in the emitter's buffer.
    if (!closed) requestFlush();
  }

  return {
    runId,
    workspaceId: options.workspaceId,
    get threadId() {
      return options.threadOf();
    },
    get lastSeq() {
      return last;
    },
    get closed() {
      return closed;
    },
    begin() {
      if (closed || !filling) return;
      filling = false;
      // Anything missing before what the bus brought (a publish that failed) is read from the log.
      drain();
    },
    resync() {
      if (closed) return;
      if (!filling) void fill();
      requestFlush();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      pending.length = 0;
      await unsubscribe();
    },
  };
}
