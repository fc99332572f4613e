import type { MessagePort } from 'node:worker_threads';
import type { PgliteLane } from './pglite-thread-protocol.js';

/**
 * How long the connection stays free for another statement of someone other than the bulk lane,
 * once one has ended, before a bulk statement may take it. A run's statements come one after
 * another, each a few milliseconds after the last one's answer; without the wait, a 5,000-row OTLP
 * insert (0.2-0.3 s on PGlite) slipped in between two of them, and a run's way to its first token
 * (its claim, its usage reads) waited behind one insert per statement: 0.7-1 s at the median while
 * an exporter pushed, against 13-20 ms without (otlp-bystanders, DECISIONS session 21).
 */
export const BULK_GRACE_MS = 5;
/**
 * The most the bulk lane waits between two of its statements however busy the others keep the
 * connection: one insert a second at least, so an exporter's requests are stored (or refused with
 * 429 by the write batcher's bounded queue) rather than held until they time out.
 */
export const BULK_AT_LEAST_EVERY_MS = 1000;

export interface PgliteLending {
  /** Asks for the connection on a lane; `grant` is called with a lease when it is this waiter's turn. */
  acquire(port: MessagePort | undefined, lane: PgliteLane, grant: (lease: number) => void): void;
  holds(lease: number): boolean;
  release(lease: number): void;
  /** Drops a closed port's waits; true when it holds the connection (to be released by the caller with releaseHeld). */
  forget(port: MessagePort): boolean;
  releaseHeld(): void;
}

interface Waiter {
  port: MessagePort | undefined;
  grant: (lease: number) => void;
}

/**
 * PGlite's one connection, lent in arrival order within a lane: the interactive lane's waiters
 * first (the main thread: acks, sign-ins, HTTP), then the background lane's (run threads, the
 * usage store's reads), then the bulk lane's (the OTLP ingest's inserts), and a bulk waiter only
 * once the others have left the connection alone for BULK_GRACE_MS, or before them when the bulk
 * lane has waited BULK_AT_LEAST_EVERY_MS since it was last served.
 */
export function createPgliteLending(clock: { now(): number; setTimeout(run: () => void, ms: number): unknown } = { now: () => performance.now(), setTimeout }): PgliteLending {
  let nextLease = 1;
  let held: { lease: number; port: MessagePort | undefined; lane: PgliteLane } | undefined;
  const waiting: Record<PgliteLane, Waiter[]> = { interactive: [], background: [], bulk: [] };
  /** When a statement of another lane than bulk last gave the connection back. */
  let othersLeftAt = Number.NEGATIVE_INFINITY;
  /** When the bulk lane last got the connection (or, idle, when it began to wait). */
  let bulkServedAt = Number.NEGATIVE_INFINITY;
  let bulkTimer = false;

  function grant(next: Waiter, lane: PgliteLane): void {
    if (lane === 'bulk') bulkServedAt = clock.now();
    held = { lease: nextLease++, port: next.port, lane };
    next.grant(held.lease);
  }

  function lendNext(): void {
    if (held) return;
    if (waiting.bulk.length > 0 && clock.now() - bulkServedAt >= BULK_AT_LEAST_EVERY_MS) return grant(waiting.bulk.shift()!, 'bulk');
    for (const lane of ['interactive', 'background'] as const) {
      const next = waiting[lane].shift();
      if (next) return grant(next, lane);
    }
    if (waiting.bulk.length === 0) return;
    const wait = othersLeftAt + BULK_GRACE_MS - clock.now();
    if (wait <= 0) return grant(waiting.bulk.shift()!, 'bulk');
    if (bulkTimer) return;
    bulkTimer = true;
    clock.setTimeout(() => {
      bulkTimer = false;
      lendNext();
    }, wait);
  }

  function free(): void {
    if (held && held.lane !== 'bulk') othersLeftAt = clock.now();
    held = undefined;
    lendNext();
  }

  return {
    acquire(port, lane, onGrant) {
      // A bulk lane that was idle starts its wait now, not at its last statement long ago.
      if (lane === 'bulk' && waiting.bulk.length === 0 && held?.lane !== 'bulk') bulkServedAt = Math.max(bulkServedAt, clock.now());
      waiting[lane].push({ port, grant: onGrant });
      lendNext();
    },
    holds: (lease) => held?.lease === lease,
    release(lease) {
      if (held?.lease !== lease) return;
      free();
    },
    forget(port) {
      for (const queue of Object.values(waiting)) {
        for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.port === port) queue.splice(i, 1);
      }
      return held?.port === port;
    },
    releaseHeld: free,
  };
}
