import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { CLOSE_CODES } from '@tally/protocol';

export interface SocketSenderLimits {
  /** Past this many buffered bytes the socket counts as lagging: frames wait and deltas merge. */
  softBytes: number;
  /** Past this many bytes (buffered + waiting) the socket is closed with SLOW_CONSUMER. */
  hardBytes: number;
}

export interface SocketSender {
  /** `delta` marks a message_delta frame, which may be merged with the one before it. */
  send(raw: string, delta?: { runId: string; agent: string }): void;
  dispose(): void;
}

const CORK_FLUSH_BYTES = 64 * 1024;

interface Pending {
  raw: string;
  delta?: { runId: string; agent: string };
}

/**
 * Bounded sending for one socket. A socket that keeps up gets each frame at once. One that lags
 * (its kernel buffer is full) gets its frames queued, with consecutive deltas of a run merged into
 * one frame that says which seqs it stands for; one that falls past the bound is closed with a
 * documented code and resumes by seq, so it never holds memory or slows anyone else.
 */
export function createSocketSender(socket: WebSocket, limits: SocketSenderLimits): SocketSender {
  return new BoundedSocketSender(socket, limits);
}

/**
 * A class, not a closure per function: there is one sender per socket, and with the runtime's
 * kept function names every per-socket closure costs a property store besides itself. Its state
 * for lagging (the queue, the timer) is only made once the socket lags.
 */
class BoundedSocketSender implements SocketSender {
  private queue: Pending[] | undefined;
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  // Frames sent in one tick (a replay, a batch of events) leave in one write instead of one
  // system call each: the TCP socket is corked until the tick ends.
  private readonly tcp: Socket | undefined;
  private corked = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly limits: SocketSenderLimits,
  ) {
    this.tcp = (socket as unknown as { _socket?: Socket })._socket;
  }

  send(raw: string, delta?: { runId: string; agent: string }): void {
    const { socket, limits } = this;
    if (this.closed || socket.readyState !== socket.OPEN) return;
    if (!this.queue?.length && socket.bufferedAmount < limits.softBytes) {
      this.write(raw);
      return;
    }
    const queue = (this.queue ??= []);
    const last = queue.at(-1);
    const merged = delta && last?.delta && last.delta.runId === delta.runId && last.delta.agent === delta.agent && this.mergeInto(last, raw);
    if (!merged) {
      queue.push({ raw, ...(delta ? { delta } : {}) });
      this.queuedBytes += raw.length;
    }
    if (socket.bufferedAmount + this.queuedBytes > limits.hardBytes) {
      this.closed = true;
      queue.length = 0;
      socket.close(CLOSE_CODES.SLOW_CONSUMER, 'SLOW_CONSUMER: reconnect and resume by seq');
      return;
    }
    this.timer ??= setTimeout(drainLater, 10, this);
  }

  dispose(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.queue) this.queue.length = 0;
  }

  uncork(): void {
    this.corked = false;
    this.tcp?.uncork();
  }

  drain(): void {
    const { socket, limits } = this;
    const queue = this.queue ?? [];
    this.timer = undefined;
    while (queue.length > 0 && socket.readyState === socket.OPEN && socket.bufferedAmount < limits.softBytes) {
      const next = queue.shift()!;
      this.queuedBytes -= next.raw.length;
      this.write(next.raw);
    }
    if (queue.length > 0 && !this.closed) this.timer = setTimeout(drainLater, 10, this);
  }

  private write(raw: string): void {
    const tcp = this.tcp;
    if (tcp && !this.corked) {
      this.corked = true;
      tcp.cork();
      process.nextTick(uncorkLater, this);
    }
    this.socket.send(raw);
    // A long tick (a big replay) goes out in writes well under the soft bound: corked bytes count
    // as buffered, and must not make a socket that keeps up look like one that lags.
    if (this.corked && tcp!.writableLength >= Math.min(CORK_FLUSH_BYTES, this.limits.softBytes / 4)) this.uncork();
  }

  private mergeInto(last: Pending, raw: string): boolean {
    const a = JSON.parse(last.raw) as { seq: number; fromSeq?: number; data: { text: string } };
    const b = JSON.parse(raw) as { seq: number; data: { text: string } };
    if (b.seq !== a.seq + 1) return false;
    const merged = { ...a, seq: b.seq, fromSeq: a.fromSeq ?? a.seq, data: { ...a.data, text: a.data.text + b.data.text } };
    this.queuedBytes -= last.raw.length;
    last.raw = JSON.stringify(merged);
    this.queuedBytes += last.raw.length;
    return true;
  }
}

function drainLater(sender: BoundedSocketSender): void {
  sender.drain();
}

function uncorkLater(sender: BoundedSocketSender): void {
  sender.uncork();
}
