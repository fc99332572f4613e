import type { Logger } from 'pino';
import { createLiveLlmPipeline } from './agents/live-llm-pipeline.js';
import { createSupervisor } from './agents/supervisor.js';
import { createReconciliationService } from './reconciliation/reconciliation-service.js';
import { createThreadHistory } from './agents/thread-history.js';
import type { Bus } from './bus/bus.js';
import type { Config } from './config/config.js';
import { createLlm } from './llm/create-llm.js';
import { withLlmSpans } from './telemetry/llm-spans.js';
import { createLlmSettings, type LlmSettingsStore } from './llm/llm-settings.js';
import { createLivePriceCatalog, type LivePriceCatalog } from './pricing/live-price-catalog.js';
import type { Pipeline } from './runs/run-context.js';
import type { Db } from './store/database.js';
import { createClickHouseUsageStore, type ClickHouseUsageStore } from './usage/clickhouse/clickhouse-usage-store.js';
import { createOwnUsageRecorder, type OwnUsageRecorder } from './usage/ingest/own-usage-recorder.js';
import type { LlmCall } from './llm/language-model-client.js';
import { createSqlUsageStore } from './usage/sql/sql-usage-store.js';
import { createAnalysisReadCache } from './usage/analysis-read-cache.js';
import type { UsageStore } from './usage/usage-store.js';
import { createSqlUsageRepricing } from './usage/sql/sql-usage-reprice.js';
import { createSqlUsageExplorer } from './usage/sql/sql-usage-explorer.js';
import type { UsageExplorer } from './usage/usage-explorer.js';
import type { UsageRepricing } from './pricing/repricing-store.js';

/**
 * What the agents work with, built the same way on the main thread (for the HTTP API, and for
 * runs when they run there) and on each run thread (TALLY_RUN_THREADS), over that thread's own
 * connections.
 */
export interface AgentServices {
  /** The SQL store over `db`, or the ClickHouse one (which holds its own connections) when configured. */
  usageStore: UsageStore | ClickHouseUsageStore;
  /** Re-pricing of every stored record, on the same store (an admin's job: pricing/reprice-jobs.ts). */
  repricing: UsageRepricing;
  /** The usage page's per-call reads (explorer, latency, spend per user), on the same store. */
  explorer: UsageExplorer;
  /** The prices in force, reloaded when any node announces a change (pricing/live-price-catalog.ts). */
  prices: LivePriceCatalog;
  /** Tally's own LLM calls, written behind as usage of the system owner. */
  ownUsage: OwnUsageRecorder;
  /** The admin's LLM settings (else TALLY_LLM_*), read by each run as it starts. */
  llmSettings: LlmSettingsStore;
  /** The agent team a run goes through, with the LLM that is configured when it starts. */
  pipeline: Pipeline;
  /** Writes what is buffered and closes what these services opened (not `db` or `bus`). */
  close(): Promise<void>;
}

/** How often a node without a bus checks the stored prices for a change made by another process. */
const PRICES_POLL_MS = 2000;

export async function createAgentServices(deps: {
  config: Config;
  db: Db;
  /**
   * Where the SQL usage store and the usage page's reads go, when not `db`: on the embedded store, a
   * port to the database thread's background lane. The one connection is then lent to a stop, an
   * ack or a sign-in before the next of a long analysis's queries; on the main port each of their
   * statements waited for one (a stop's ack took 1-2 s behind five askers' aggregates). Not closed here.
   */
  usageDb?: Db;
  bus: Bus;
  logger: Logger;
  /** Told of each of Tally's own LLM calls, priced (the node's metrics). */
  onLlmCall?: (call: LlmCall, costUsd: number | null) => void;
}): Promise<AgentServices> {
  const { config, db, bus, logger } = deps;
  const clickhouse = config.clickhouseUrl ? await createClickHouseUsageStore({ url: config.clickhouseUrl }) : undefined;
  const usageDb = deps.usageDb ?? db;
  const usageStore: UsageStore | ClickHouseUsageStore =
    clickhouse ??
    createSqlUsageStore(usageDb, {
      analysisInOneStatement: config.databaseUrl !== undefined,
      ...(config.analysisCacheRows > 0 ? { analysisReadCache: createAnalysisReadCache({ maxRows: config.analysisCacheRows }) } : {}),
    });
  // The admin's overrides, discounts and catalog data, kept in step with every node over the bus.
  // Without Redis, PostgreSQL may still be written by another process (`tally prices`): its changes are polled for.
  const prices = await createLivePriceCatalog({
    db,
    bus,
    onReloadError: (error) => logger.warn({ err: error }, 'prices could not be reloaded; keeping the previous ones'),
    ...(config.databaseUrl && !config.redisUrl ? { pollEveryMs: PRICES_POLL_MS } : {}),
  });
  const ownUsage = createOwnUsageRecorder({ store: usageStore, prices, logger, onRecorded: deps.onLlmCall });
  const recordCall = ownUsage.record;
  // The admin's LLM settings (PUT /v1/admin/llm), else TALLY_LLM_*: what each run starts with, on every
  // node (kept in memory until a change is announced on the bus).
  const llmSettings = await createLlmSettings({ db, bus, fallback: config.llm });
  const pipeline = createLiveLlmPipeline({
    currentLlm: () => llmSettings.current(),
    build: (llm) => {
      const client = createLlm(llm, { recordCall });
      return createSupervisor({
        usage: usageStore,
        prices,
        llm: client && config.tracing ? withLlmSpans(client) : client,
        history: createThreadHistory(db),
        reconciliation: createReconciliationService({ db, usageStore }),
      });
    },
  });
  return {
    usageStore,
    repricing: clickhouse ? clickhouse.repricing : createSqlUsageRepricing(db),
    explorer: clickhouse ? clickhouse.explorer : createSqlUsageExplorer(usageDb),
    prices,
    ownUsage,
    llmSettings,
    pipeline,
    async close() {
      await llmSettings.close();
      await prices.close();
      await ownUsage.close();
      await clickhouse?.close();
    },
  };
}
