import WebSocket from 'ws';
import { isTerminalEvent, type RunEvent } from '@tally/protocol';

/**
 * A deliberately thin WebSocket peer for tests: raw frames in and out, so tests see exactly
 * what the server sends (the SDK in packages/client is tested on top of this behaviour).
 */
export interface TestSocket {
  ws: WebSocket;
  frames: Array<Record<string, unknown>>;
  send(frame: unknown): void;
  sendRaw(data: string | Buffer): void;
  /**
   * Sends a command and resolves with its ack or error frame. A socket opened with `workspaceId`
   * names that workspace in every command but ping that does not name one itself.
   */
  command(type: string, data?: unknown, id?: string): Promise<Record<string, unknown>>;
  /** Resolves when a frame matching the predicate has arrived (including earlier ones). */
  waitFor(predicate: (f: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Events of one run received so far, in arrival order. */
  eventsOf(runId: string): RunEvent[];
  waitForTerminal(runId: string, timeoutMs?: number): Promise<RunEvent>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

let counter = 0;

export async function openTestSocket(url: string, options: { ticket?: string; protocols?: string[]; workspaceId?: string } = {}): Promise<TestSocket> {
  const target = options.ticket ? `${url}?ticket=${encodeURIComponent(options.ticket)}` : url;
  const ws = new WebSocket(target, options.protocols ?? []);
  const frames: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
    for (const wake of [...waiters]) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const wake of [...waiters]) wake();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.once('error', reject);
  });

  function waitFor(predicate: (f: Record<string, unknown>) => boolean, timeoutMs = 15_000) {
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = frames.find(predicate);
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        } else if (ws.readyState === WebSocket.CLOSED) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error('socket closed while waiting for a frame'));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a frame; got ${frames.length} frames`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  const eventsOf = (runId: string) => frames.filter((f) => f['runId'] === runId && typeof f['seq'] === 'number') as unknown as RunEvent[];

  return {
    ws,
    frames,
    send: (frame) => ws.send(JSON.stringify(frame)),
    sendRaw: (data) => ws.send(data),
    command(type, data, id = `c${++counter}-${Date.now()}`) {
      const named = options.workspaceId && type !== 'ping' && typeof data === 'object' && data !== null && !('workspaceId' in data) ? { workspaceId: options.workspaceId, ...data } : data;
      ws.send(JSON.stringify({ v: 1, id, type, data: named }));
      return waitFor((f) => (f['type'] === 'ack' || f['type'] === 'error') && f['id'] === id);
    },
    waitFor,
    eventsOf,
    async waitForTerminal(runId, timeoutMs = 30_000) {
      const frame = await waitFor((f) => f['runId'] === runId && isTerminalEvent(String(f['type'])), timeoutMs);
      return frame as unknown as RunEvent;
    },
    closed,
    close: () => ws.close(),
  };
}
