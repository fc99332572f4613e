import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../store/database.js';

/**
 * The leases of the runs one worker holds, renewed together by one statement per beat on a
 * connection of their own (so a renewal never queues behind event writes), and what the worker
 * knows of them between beats.
 *
 * Expiry is measured on the database's clock (`now() + lease`) by the renewal and by the
 * reclaimer alike. Here, on the node's monotonic clock, a lease counts as held until `leaseMs -
 * margin` after the send time of the last renewal that came back with it: the database set its
 * expiry no earlier than that send, so past that point another node may be about to take the run,
 * and the run must stop publishing (`whenHeld` waits) until a renewal confirms it again or says it
 * is gone. Beats come every tenth of the lease, so a database pause shorter than ~9/10 of the
 * lease lets no lease expire.
 */
export interface RunLeases {
  /** Renews the run's lease from now on; `claimedAt` is when its claim was sent (`clock()`). */
  hold(runId: string, claimedAt: number, on: { lost(): void; cancelled(): void }): void;
  release(runId: string): void;
  /**
   * Nothing (undefined, synchronously) while the run's lease is surely held, so the streaming path
   * pays no promise per event; else a promise that resolves when a renewal confirms it, or the
   * signal aborts.
   */
  whenHeld(runId: string, signal: AbortSignal): Promise<void> | undefined;
  stop(): void;
}

export interface RunLeasesOptions {
  db: Db;
  nodeId: string;
  leaseMs: number;
  logger: Logger;
  clock?: () => number;
}

interface Held {
  confirmedAt: number;
  on: { lost(): void; cancelled(): void };
}

export const leaseClock = (): number => performance.now();

/** When a lease taken or renewed now runs out, on the database's clock (see above). */
export const leaseExpiry = (leaseMs: number) => sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`;

export function createRunLeases(options: RunLeasesOptions): RunLeases {
  const { db, nodeId, leaseMs, logger } = options;
  const clock = options.clock ?? leaseClock;
  const beatMs = Math.max(100, Math.floor(leaseMs / 10));
  const marginMs = Math.max(2 * beatMs, Math.floor(leaseMs / 6));
  const held = new Map<string, Held>();
  let beating = false;
  let failures = 0;

  const isHeld = (h: Held) => clock() < h.confirmedAt + leaseMs - marginMs;

  async function beat(): Promise<void> {
    if (beating || held.size === 0) return;
    beating = true;
    const sentAt = clock();
    const ids = [...held.keys()];
    try {
      const rows = await db
        .updateTable('runs')
        .set({ lease_expires_at: leaseExpiry(leaseMs) })
        // One array parameter, not an IN list: a fixed text whatever the runs held, so it runs
        // prepared (store/prepared-statements.ts) instead of parsing hundreds of ids each beat.
        .where(sql<boolean>`id = any(${ids}::uuid[])`)
        .where('lease_owner', '=', nodeId)
        .where('status', '=', 'running')
        .returning(['id', 'cancel_requested'])
        .execute();
      if (failures > 0) logger.info({ failures }, 'lease renewals work again');
      failures = 0;
      const renewed = new Map(rows.map((r) => [r.id, r.cancel_requested]));
      for (const id of ids) {
        const h = held.get(id);
        if (!h) continue;
        const cancel = renewed.get(id);
        if (cancel === undefined) {
          // Renewed by nothing: another node took it over (or it ended here meanwhile).
          held.delete(id);
          h.on.lost();
          continue;
        }
        h.confirmedAt = Math.max(h.confirmedAt, sentAt);
        // The renewal also carries a stop whose bus message was lost.
        if (cancel) h.on.cancelled();
      }
    } catch (error) {
      // Logged once per outage, not once per beat.
      if (failures++ === 0) logger.warn({ err: error }, 'lease renewal failed; runs stop publishing if it keeps failing');
    } finally {
      beating = false;
    }
  }

  async function waitUntilHeld(runId: string, signal: AbortSignal): Promise<void> {
    logger.warn({ runId }, 'lease not confirmed in time; the run waits before publishing more');
    let h: Held | undefined;
    while (!signal.aborted && (h = held.get(runId)) && !isHeld(h)) await new Promise((r) => setTimeout(r, beatMs));
    if (h && !signal.aborted) logger.info({ runId }, 'lease confirmed again; the run goes on');
  }

  const timer = setInterval(() => void beat(), beatMs);
  timer.unref();

  return {
    hold(runId, claimedAt, on) {
      held.set(runId, { confirmedAt: claimedAt, on });
    },
    release(runId) {
      held.delete(runId);
    },
    whenHeld(runId, signal) {
      const h = held.get(runId);
      if (!h || isHeld(h)) return undefined;
      return waitUntilHeld(runId, signal);
    },
    stop() {
      clearInterval(timer);
      held.clear();
    },
  };
}
