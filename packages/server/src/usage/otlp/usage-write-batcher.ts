import { AppError } from '../../app-error.js';
import type { UsageRows } from '../usage-row-form.js';
import { createUsageRowsMerger, usageRowCount, type UsageRowsMerger } from '../usage-rows.js';
import type { UsageIngestSession, UsageStore } from '../usage-store.js';

/**
 * How many records may wait for one workspace's writer, by default, in multiples of one insert.
 * Past it a request is refused (429 + Retry-After) rather than queued: the exporter keeps the
 * spans and retries, the node does not hold an unbounded backlog in memory.
 */
const QUEUED_INSERTS = 4;

/**
 * On a store whose derived data is brought up to date per session (ClickHouse recomputes the
 * rollups of every day a batch touched, reading them through FINAL), how often a busy workspace's
 * writer does it: once a second rather than once per insert, which at 100 requests a second was
 * most of the work. Whole-day reads (the dashboard) lag the records by at most this, plus one insert.
 */
export const ROLLUP_EVERY_MS = 1000;
/**
 * A recomputation reads its days' records whole, so it grows with the day: at a steady rate it
 * would come to take the store's whole time. The next one is due no sooner than this many times
 * the last one's duration (so rollups take at most ~1/(1+N) of a busy writer's time), and no
 * later than ROLLUP_AT_MOST_EVERY_MS (the most a whole-day read lags a busy workspace's records).
 */
const ROLLUP_SPACING_FACTOR = 9;
export const ROLLUP_AT_MOST_EVERY_MS = 30_000;

export interface UsageWriteBatcher {
  /**
   * Stores the rows (priced, keyed and serialised in the store's row form, each key once: see
   * usage-rows.ts) for the workspace together with the rows other requests of that workspace are
   * waiting to store: resolves once they are stored (or found stored), rejects with the insert's
   * error. Throws AppError RATE_LIMITED at once when the workspace's queue is full.
   */
  write(workspaceId: string, rows: UsageRows): Promise<void>;
  /** Records waiting or being written, all workspaces (a gauge for tests and metrics). */
  readonly queuedRows: number;
}

export interface UsageWriteBatcherDeps {
  store: Pick<UsageStore, 'insertRows' | 'insertBatchSize'> & { openIngest?(workspaceId: string): Pick<UsageIngestSession, 'insertRows' | 'finish'> };
  /** Largest merged insert; default the store's `insertBatchSize` (5,000 SQL, 10,000 ClickHouse). */
  maxBatchRows?: number;
  /** Records that may wait per workspace before requests are refused; default 4 inserts' worth. */
  maxQueuedRows?: number;
  /** Told what each merged insert stored (the node's metrics). */
  onWritten?(workspaceId: string, result: { inserted: number; duplicates: number }): void;
  /** New records of the workspace are now in every read, rollups included (the usage_changed announcement). */
  onVisible?(workspaceId: string): void;
  /** A session store's rollup failed: its days stay stale until another insert touches them. */
  onRollupFailed?(workspaceId: string, error: unknown): void;
  /** The clock, for the rollup interval. */
  now?(): number;
}

interface Waiting {
  resolve(): void;
  reject(error: unknown): void;
}

/** The requests of one future insert, merged as they arrive (so the insert is ready when its turn comes). */
interface NextInsert {
  merged: UsageRowsMerger;
  waiting: Waiting[];
}

interface WorkspaceQueue {
  /** In order; a request joins the last one while it has room, else starts another. */
  inserts: NextInsert[];
  waitingRows: number;
}

/**
 * A per-workspace micro-batcher for OTLP export requests. An exporter at speed sends many 512-span
 * requests at once; stored one by one, each paid a whole statement (its duplicate check, its
 * rollup upserts) for 512 rows, and on PGlite a 512-row statement writes about half as many rows a
 * second as a 5,000-row one. Here one writer per workspace stores what arrived while its previous
 * insert ran, merged into one insert up to the store's batch size: merged as each request arrives,
 * by concatenating its serialised rows, so the next insert's parameter is ready the moment the
 * previous insert ends (the database, on its own thread with PGlite, never waits for the event
 * loop to build it). It never waits for more to
 * arrive (no added latency when a request is alone), and a request is answered only after its
 * records are stored, so an OTLP success still means durable.
 *
 * Duplicates stay exact: the merged rows hold each key once (the first request's copy of a key is
 * the one written; a later copy counts as a duplicate), and the store's own key check does the rest.
 * Created per node and passed in: its queues are the only state, and they empty as they are written.
 */
export function createUsageWriteBatcher(deps: UsageWriteBatcherDeps): UsageWriteBatcher {
  const maxBatchRows = deps.maxBatchRows ?? deps.store.insertBatchSize ?? 5000;
  const maxQueuedRows = deps.maxQueuedRows ?? maxBatchRows * QUEUED_INSERTS;
  const queues = new Map<string, WorkspaceQueue>();
  let queuedRows = 0;

  /** The insert a request of `count` rows joins: the last one while it stays within one insert's worth (a lone request however large). */
  function insertFor(queue: WorkspaceQueue, form: UsageRows['form'], count: number): NextInsert {
    const last = queue.inserts.at(-1);
    if (last && last.merged.added + count <= maxBatchRows) return last;
    const next: NextInsert = { merged: createUsageRowsMerger(form), waiting: [] };
    queue.inserts.push(next);
    return next;
  }

  async function drain(workspaceId: string, queue: WorkspaceQueue): Promise<void> {
    const now = deps.now ?? Date.now;
    // A store with sessions (ClickHouse) stores records per insert and rolls up per session: one
    // session per busy spell of the workspace, rolled up every ROLLUP_EVERY_MS and at its end.
    const session = deps.store.openIngest?.(workspaceId);
    let unrolled = 0;
    let rolledAt = now();
    let rollUpEveryMs = ROLLUP_EVERY_MS;
    const rollUp = async () => {
      if (!session) return;
      const began = now();
      try {
        await session.finish();
        if (unrolled > 0) deps.onVisible?.(workspaceId);
      } catch (error) {
        deps.onRollupFailed?.(workspaceId, error);
      }
      unrolled = 0;
      rolledAt = now();
      rollUpEveryMs = Math.min(ROLLUP_AT_MOST_EVERY_MS, Math.max(ROLLUP_EVERY_MS, (rolledAt - began) * ROLLUP_SPACING_FACTOR));
    };
    while (queue.inserts.length > 0) {
      const { merged: merger, waiting: taken } = queue.inserts.shift()!;
      const rows = merger.added;
      queue.waitingRows -= rows;
      let inserted = 0;
      try {
        // The requests' serialised rows concatenated (a later copy of a key dropped): nothing is
        // left to serialise between two inserts.
        const merged = merger.finish();
        const result = session ? await session.insertRows(merged) : await deps.store.insertRows(workspaceId, merged);
        inserted = result.inserted;
        // Copies of one key across requests were dropped by the merge: duplicates too.
        deps.onWritten?.(workspaceId, { inserted, duplicates: result.duplicates + rows - usageRowCount(merged) });
        // Answered once the records are stored: a session's rollups are derived and follow shortly.
        for (const w of taken) w.resolve();
      } catch (error) {
        for (const w of taken) w.reject(error);
      } finally {
        queuedRows -= rows;
      }
      if (!session) {
        if (inserted > 0) deps.onVisible?.(workspaceId);
      } else {
        unrolled += inserted;
        if (now() - rolledAt >= rollUpEveryMs) await rollUp();
      }
    }
    await rollUp();
    // Requests that arrived during the last rollup start a writer of their own.
    queues.delete(workspaceId);
    if (queue.inserts.length > 0) {
      queues.set(workspaceId, queue);
      void drain(workspaceId, queue);
    }
  }

  return {
    write(workspaceId, rows) {
      const count = usageRowCount(rows);
      if (count === 0) return Promise.resolve();
      let queue = queues.get(workspaceId);
      // A request alone in the queue is always taken, however large (the body limit bounds it).
      if (queue && queue.inserts.length > 0 && queue.waitingRows + count > maxQueuedRows) {
        return Promise.reject(new AppError('RATE_LIMITED', 'This workspace is sending usage faster than it can be stored; retry shortly.'));
      }
      const fresh = !queue;
      if (!queue) queues.set(workspaceId, (queue = { inserts: [], waitingRows: 0 }));
      const next = insertFor(queue, rows.form, count);
      next.merged.add(rows);
      const written = new Promise<void>((resolve, reject) => next.waiting.push({ resolve, reject }));
      queue.waitingRows += count;
      queuedRows += count;
      // The first request of an idle workspace starts its writer; later ones join its queue.
      if (fresh) void drain(workspaceId, queue);
      return written;
    },
    get queuedRows() {
      return queuedRows;
    },
  };
}
