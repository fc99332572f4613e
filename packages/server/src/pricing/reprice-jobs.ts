import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../app-error.js';
import type { Db } from '../store/database.js';
import type { RepriceChange, RepriceRow, UsageRepricing } from './repricing-store.js';
import { repriceFormula } from './reprice-formula.js';
import type { LivePriceCatalog } from './live-price-catalog.js';
import type { PriceCatalog } from './price-catalog.js';
import { createRepriceTotals, grandTotals, type ModelRepriceTotals } from './reprice-totals.js';

/** A re-pricing job as an admin polls it. */
export interface RepriceJobView {
  id: string;
  kind: 'preview' | 'apply';
  status: 'running' | 'done' | 'failed';
  /** For an application: the preview it applies. */
  previewId: string | null;
  pricesFingerprint: string;
  progress: { percent: number; rowsDone: number; rowsTotal: number; rowsChanged: number };
  /** Per model, once done: stored (old) and re-priced (new) totals. */
  models: ModelRepriceTotals[] | null;
  totals: { oldCostUsd: number; newCostUsd: number } | null;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/**
 * A job whose node stopped beating is taken as interrupted after this long: another may start.
 * Progress (and so the heartbeat) is written at least every PROGRESS_EVERY_MS while a job runs.
 */
const STALE_AFTER_MS = 60_000;
const PROGRESS_EVERY_MS = 500;
/** Records per chunk re-priced by one set of statements: progress steps, and one transaction's size. */
const CHUNK_RECORDS = 100_000;

export interface RepriceJobs {
  /** Starts a preview with the prices in force now; it runs in the background on this node. */
  startPreview(actorId: string): Promise<RepriceJobView>;
  /**
   * Applies a finished preview: REPRICE_PREVIEW_REQUIRED unless it is done and the prices in force
   * are still the ones it previewed (same fingerprint), so what is applied is what was shown.
   */
  startApply(actorId: string, previewId: string): Promise<RepriceJobView>;
  get(id: string): Promise<RepriceJobView>;
  /** Resolves when a job this node runs has ended (for tests and shutdown). */
  settled(id: string): Promise<void>;
  /** Waits for the jobs this node runs. */
  close(): Promise<void>;
}

/**
 * Re-pricing of stored records (issue 15 item 5). A preview prices every record with the prices
 * in force (the catalog ingests use, its plans evaluated by the database: reprice-formula.ts) and
 * totals old and new costs per model; an application does the same and writes the costs that
 * changed, with the store's rollups, chunk by chunk of whole owner-days. Both total exactly
 * (reprice-totals.ts), so an application made with the same
 * prices over the same records reports, and stores, the totals its preview showed. One job runs at
 * a time server-wide (a unique index on running jobs); its progress is kept in the database, so
 * any node answers a poll.
 */
export function createRepriceJobs(deps: { db: Db; repricing: UsageRepricing; prices: LivePriceCatalog; logger: Logger }): RepriceJobs {
  const { db, repricing, prices, logger } = deps;
  const running = new Map<string, Promise<void>>();

  async function begin(kind: 'preview' | 'apply', actorId: string, fingerprint: string, previewId: string | null): Promise<string> {
    // A job whose node died is ended first, so it does not block every later one.
    await db
      .updateTable('reprice_jobs')
      .set({ status: 'failed', error: 'interrupted: the node running it stopped', finished_at: new Date() })
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', new Date(Date.now() - STALE_AFTER_MS))
      .execute();
    const id = crypto.randomUUID();
    try {
      await db.insertInto('reprice_jobs').values({ id, kind, status: 'running', started_by: actorId, preview_id: previewId, prices_fingerprint: fingerprint }).execute();
    } catch (error) {
      if ((error as { code?: unknown }).code === '23505') throw new AppError('REPRICE_IN_PROGRESS');
      throw error;
    }
    return id;
  }

  function launch(id: string, kind: 'preview' | 'apply', catalog: PriceCatalog): void {
    const job = run(id, kind, catalog).catch(async (error: unknown) => {
      logger.error({ err: error, jobId: id }, 're-pricing failed');
      await db
        .updateTable('reprice_jobs')
        .set({ status: 'failed', error: error instanceof Error ? error.message : String(error), finished_at: new Date(), heartbeat_at: new Date() })
        .where('id', '=', id)
        .execute()
        .catch(() => undefined);
    });
    running.set(id, job);
    void job.finally(() => running.delete(id));
  }

  async function run(id: string, kind: 'preview' | 'apply', catalog: PriceCatalog): Promise<void> {
    const apply = kind === 'apply';
    // The database computes the new costs from the catalog's own plans (reprice-formula.ts), chunk
    // by chunk; only pairs whose prices the plans cannot express are priced here, record by record.
    const formula = repriceFormula(catalog, await repricing.storedPairs());
    const chunks = await repricing.chunks(CHUNK_RECORDS);
    const total = chunks.reduce((sum, c) => sum + c.records, 0);
    await db.updateTable('reprice_jobs').set({ rows_total: total, heartbeat_at: new Date() }).where('id', '=', id).execute();
    const totals = createRepriceTotals();
    let done = 0;
    let changed = 0;
    let reported = Date.now();
    const progress = async () => {
      if (Date.now() - reported < PROGRESS_EVERY_MS) return;
      reported = Date.now();
      await db.updateTable('reprice_jobs').set({ rows_done: done, rows_changed: changed, heartbeat_at: new Date() }).where('id', '=', id).execute();
    };
    if (formula) {
      for (const chunk of chunks) {
        for (const model of await repricing.repriceChunk(chunk, formula, apply)) {
          totals.addChunk(model);
          done += model.records;
          changed += model.changed;
        }
        await progress();
      }
    }
    if (!formula || formula.library.length > 0) {
      await repricing.scan(
        async (rows) => {
          const changes: RepriceChange[] = [];
          for (const row of rows) {
            const cost = catalog.priceCall(callOf(row));
            totals.add(row.model, row.costUsd, cost);
            if (!Object.is(cost, row.costUsd)) changes.push({ row, costUsd: cost });
          }
          changed += apply ? await repricing.writeCosts(changes) : changes.length;
          done += rows.length;
          await progress();
        },
        formula ? formula.library : undefined,
      );
      if (apply) await repricing.finish();
    }
    const models = totals.result();
    await db
      .updateTable('reprice_jobs')
      // Records stored while the job ran make `done` exceed the count taken at its start.
      .set({ status: 'done', rows_done: done, rows_total: Math.max(total, done), rows_changed: changed, result: JSON.stringify(models), finished_at: new Date(), heartbeat_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  async function get(id: string): Promise<RepriceJobView> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new AppError('REPRICE_JOB_NOT_FOUND');
    const row = await db.selectFrom('reprice_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('REPRICE_JOB_NOT_FOUND');
    const models = row.result === null ? null : (JSON.parse(row.result) as ModelRepriceTotals[]);
    const rowsTotal = Number(row.rows_total);
    const rowsDone = Number(row.rows_done);
    return {
      id: row.id,
      kind: row.kind,
      status: row.status,
      previewId: row.preview_id,
      pricesFingerprint: row.prices_fingerprint,
      progress: {
        percent: row.status === 'done' ? 100 : rowsTotal === 0 ? 0 : Math.min(99, Math.floor((rowsDone / rowsTotal) * 100)),
        rowsDone,
        rowsTotal,
        rowsChanged: Number(row.rows_changed),
      },
      models,
      totals: models && grandTotals(models),
      error: row.error,
      createdAt: new Date(row.created_at).toISOString(),
      finishedAt: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
    };
  }

  return {
    async startPreview(actorId) {
      const inForce = prices.current();
      const id = await begin('preview', actorId, inForce.fingerprint, null);
      launch(id, 'preview', inForce.catalog);
      return get(id);
    },

    async startApply(actorId, previewId) {
      const preview = await get(previewId).catch(() => null);
      // Reloaded first: a change just made on another node must not be missed by the check.
      await prices.reload();
      const inForce = prices.current();
      if (!preview || preview.kind !== 'preview' || preview.status !== 'done' || preview.pricesFingerprint !== inForce.fingerprint) {
        throw new AppError('REPRICE_PREVIEW_REQUIRED');
      }
      const id = await begin('apply', actorId, inForce.fingerprint, previewId);
      launch(id, 'apply', inForce.catalog);
      return get(id);
    },

    get,

    async settled(id) {
      await running.get(id);
    },

    async close() {
      await Promise.all(running.values());
    },
  };
}

/** The call a stored record was: what the one pricing function (PriceCatalog.priceCall) takes. */
export function callOf(row: RepriceRow) {
  return {
    model: row.model,
    provider: row.provider,
    at: new Date(row.tsMs),
    inputTokens: row.inputTokens,
    cacheReadTokens: row.cacheReadTokens,
    cacheWriteTokens: row.cacheWriteTokens,
    ...(row.cacheWrite1hTokens === undefined ? {} : { cacheWrite1hTokens: row.cacheWrite1hTokens }),
    outputTokens: row.outputTokens,
    batch: row.batch,
  };
}
