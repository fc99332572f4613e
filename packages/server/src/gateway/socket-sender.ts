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
  const queue: Pending[] = [];
  let queuedBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  // Frames sent in one tick (a replay, a group-committed batch of events) leave in one write
  // instead of one system call each: the TCP socket is corked until the tick ends.
  const tcp = (socket as unknown as { _socket?: Socket })._socket;
  let corked = false;
  const flushBytes = Math.min(CORK_FLUSH_BYTES, Math.floor(limits.softBytes / 4));
  const uncork = () => {
    corked = false;
    tcp?.uncork();
  };
  function write(raw: string) {
    if (tcp && !corked) {
      corked = true;
      tcp.cork();
      process.nextTick(uncork);
    }
    socket.send(raw);
    // A long tick (a big replay) goes out in writes well under the soft bound: corked bytes count
    // as buffered, and must not make a socket that keeps up look like one that lags.
    if (corked && tcp!.writableLength >= flushBytes) uncork();
  }

  function drain() {
    timer = undefined;
    while (queue.length > 0 && socket.readyState === socket.OPEN && socket.bufferedAmount < limits.softBytes) {
      const next = queue.shift()!;
      queuedBytes -= next.raw.length;
      write(next.raw);
    }
    if (queue.length > 0 && !closed) timer = setTimeout(drain, 10);
  }

  function mergeInto(last: Pending, raw: string): boolean {
    const a = JSON.parse(last.raw) as { seq: number; fromSeq?: number; data: { text: string } };
    const b = JSON.parse(raw) as { seq: number; data: { text: string } };
    if (b.seq !== a.seq + 1) return false;
    const merged = { ...a, seq: b.seq, fromSeq: a.fromSeq ?? a.seq, data: { ...a.data, text: a.data.text + b.data.text } };
    queuedBytes -= last.raw.length;
    last.raw = JSON.stringify(merged);
    queuedBytes += last.raw.length;
    return true;
  }

  return {
    send(raw, delta) {
      if (closed || socket.readyState !== socket.OPEN) return;
      if (queue.length === 0 && socket.bufferedAmount < limits.softBytes) {
        write(raw);
        return;
      }
      const last = queue.at(-1);
      const merged = delta && last?.delta && last.delta.runId === delta.runId && last.delta.agent === delta.agent && mergeInto(last, raw);
      if (!merged) {
        queue.push({ raw, ...(delta ? { delta } : {}) });
        queuedBytes += raw.length;
      }
      if (socket.bufferedAmount + queuedBytes > limits.hardBytes) {
        closed = true;
        queue.length = 0;
        socket.close(CLOSE_CODES.SLOW_CONSUMER, 'SLOW_CONSUMER: reconnect and resume by seq');
        return;
      }
      timer ??= setTimeout(drain, 10);
    },
    dispose() {
      closed = true;
      if (timer) clearTimeout(timer);
      queue.length = 0;
    },
  };
}
