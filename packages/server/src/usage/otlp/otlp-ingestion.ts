import type { PriceCatalog } from '../../pricing/price-catalog.js';
import { usageRowCount } from '../usage-rows.js';
import type { UsageStore } from '../usage-store.js';
import { readOtlpRequest, type OtlpRequestJob, type OtlpRequestRead } from './read-otlp-request.js';
import { createUsageWriteBatcher, type UsageWriteBatcherDeps } from './usage-write-batcher.js';

/** One export request as received, for the workspace it adds to. */
export type OtlpIngestJob = Omit<OtlpRequestJob, 'target'> & { workspaceId: string };

/** What became of an export request's items. */
export interface OtlpIngested {
  /** Calls handed to the store: stored now, or found stored already. */
  calls: number;
  /** Records the request itself repeated (a span and its log record in one batch): kept once. */
  repeated: number;
  /** Models the prices could not price, sorted (their calls are stored with no cost). */
  unpricedModels: string[];
  /** `#<position>: <reason>` per refused item, in request order. */
  errors: string[];
  /** Metric data points received (counted, never stored: count-metric-points.ts). */
  dataPoints: number;
}

/**
 * Where export requests become stored usage: in-process (createOtlpIngestion) or on a thread of
 * its own with its own connection to the store (otlp-ingest-thread.ts), one interface for both.
 */
export interface OtlpIngestion {
  /**
   * Reads the request while `allowed` settles (the caller's check of the principal's role), then
   * stores its calls for the job's workspace, merged with other requests' (usage-write-batcher.ts),
   * and resolves once they are stored, so an OTLP success means durable. Unless `allowed`
   * resolves, nothing is stored and no read error answered: its rejection is the answer. Bad
   * input rejects with AppError (VALIDATION_FAILED, BODY_TOO_LARGE), a full queue RATE_LIMITED.
   * The job's body may be moved away (detached): the caller hands it over.
   */
  ingest(job: OtlpIngestJob, allowed: Promise<unknown>): Promise<OtlpIngested>;
  close(): Promise<void>;
}

export interface OtlpIngestionDeps extends Omit<UsageWriteBatcherDeps, 'store'> {
  /** The store the calls go to; its row form is what the rows are serialised in. */
  store: UsageWriteBatcherDeps['store'] & Pick<UsageStore, 'rowForm'>;
  /**
   * Reads a request into its store's rows: on the node, a reader thread beside the ingest thread
   * (otlp-reader-thread.ts); in-process, readInTurns.
   */
  read(job: OtlpRequestJob): Promise<OtlpRequestRead>;
}

/**
 * Reading (read-otlp-request.ts) and storing (usage-write-batcher.ts) export requests. The ingest
 * thread runs this over its own connection to the store, with its reader thread, so a request's
 * data never crosses the node's main thread (otlp-ingest-thread.ts).
 */
export function createOtlpIngestion(deps: OtlpIngestionDeps): OtlpIngestion {
  const { store, read: readRequest, ...callbacks } = deps;
  const batcher = createUsageWriteBatcher({ store, ...callbacks });
  return {
    async ingest(job, allowed) {
      const { workspaceId, ...request } = job;
      const reading = readRequest({ ...request, target: { workspaceId, form: store.rowForm } });
      const [authorized, read] = await Promise.allSettled([allowed, reading]);
      if (authorized.status === 'rejected') throw authorized.reason;
      if (read.status === 'rejected') throw read.reason;
      const { rows, repeated, unpricedModels, errors, dataPoints } = read.value;
      const calls = usageRowCount(rows);
      if (calls > 0) await batcher.write(workspaceId, rows);
      return { calls, repeated, unpricedModels, errors, dataPoints };
    },
    // Nothing of its own to close: the store is the caller's.
    close: async () => undefined,
  };
}

/**
 * Requests read on the calling thread, with the prices in force, one after another, each in a turn
 * of the event loop of its own. Requests arrive in bursts (an exporter's 8 in flight come as one
 * batch of messages): read as they arrived, their 15-30 ms each of CPU ran back to back, and
 * whatever else the thread had to answer (a store's reply) waited behind all of them.
 */
export function readInTurns(prices: () => PriceCatalog): (job: OtlpRequestJob) => Promise<OtlpRequestRead> {
  let previous: Promise<unknown> = Promise.resolve();
  return (job) => {
    const turn = previous.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(() => readOtlpRequest(job, prices()));
    previous = turn.catch(() => undefined);
    return turn;
  };
}
