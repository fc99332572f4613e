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
 * once the others have left the connection alone for BULK_GRACE_MS.
 */
export function createPgliteLending(clock: { now(): number; setTimeout(run: () => void, ms: number): unknown } = { now: () => performance.now(), setTimeout }): PgliteLending {
  let nextLease = 1;
  let held: { lease: number; port: MessagePort | undefined; lane: PgliteLane } | undefined;
  const waiting: Record<PgliteLane, Waiter[]> = { interactive: [], background: [], bulk: [] };
  /** When a statement of another lane than bulk last gave the connection back. */
  let othersLeftAt = Number.NEGATIVE_INFINITY;
  let bulkTimer = false;

  function grant(next: Waiter, lane: PgliteLane): void {
    held = { lease: nextLease++, port: next.port, lane };
    next.grant(held.lease);
  }

  function lendNext(): void {
    if (held) return;
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
