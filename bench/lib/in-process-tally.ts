import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { RunEvent } from '@tally/protocol';
import { buildApp, type App } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config/config.js';
import { createSqlRunEventLog, type RunEventLog } from '../../packages/server/src/runs/run-event-log.js';
import type { Db } from '../../packages/server/src/store/database.js';

/**
 * One Tally node built for a bench, in the calling process (the bench runs it in a child, see
 * in-process-tally-child.ts): PostgreSQL in a schema of its own, the in-process bus (one node),
 * the mock LLM, limits raised so the load is not refused. The run event log is the product's SQL
 * one wrapped to count its writes, or, for "persistence off", one that keeps the streamed events
 * in memory.
 */
export interface BenchTallyOptions {
  postgresUrl: string;
  llmBaseUrl: string;
  /**
   * `node`: the node's own log, runs on its run threads (TALLY_RUN_THREADS, one per core by
   * default); `sql`: the product's log, counted; `memory`: the run's streamed events stay in
   * memory. A log given by the bench lives in the node's main thread, so `sql` and `memory` run
   * the pipelines there.
   */
  eventLog: 'node' | 'sql' | 'memory';
  workerConcurrency: number;
}

/** BENCH_RUN_THREADS=<n> sets the nodes' TALLY_RUN_THREADS, to compare with their default (auto). */
export function benchRunThreadsEnv(): Record<string, string> {
  const threads = process.env['BENCH_RUN_THREADS'];
  return threads ? { TALLY_RUN_THREADS: threads } : {};
}

/** Writes of one run's events: when each happened (ms since the node started) and whether in a transaction. */
export interface RunWrites {
  runId: string;
  writes: Array<{ at: number; events: number; inTransaction: boolean }>;
}

export interface BenchTally {
  baseUrl: string;
  wsUrl: string;
  /** Per-run event-log writes since the last reset. */
  writes(): RunWrites[];
  resetWrites(): void;
  close(): Promise<void>;
}

/** The PostgreSQL the pipeline benches use: BENCH_DATABASE_URL, else the machine's local one. */
export function benchPostgresUrl(): string {
  return process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
}

export async function startBenchTally(options: BenchTallyOptions): Promise<BenchTally> {
  const schema = `bench_${crypto.randomBytes(6).toString('hex')}`;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-bench-'));
  const config = loadConfig({
    TALLY_PORT: '0',
    TALLY_HOST: '127.0.0.1',
    TALLY_DATA_DIR: dataDir,
    TALLY_LOG_LEVEL: process.env['TALLY_BENCH_LOG_LEVEL'] ?? 'warn',
    TALLY_DATABASE_URL: options.postgresUrl,
    TALLY_LLM_PROVIDER: 'openai-compatible',
    TALLY_LLM_BASE_URL: options.llmBaseUrl,
    TALLY_LLM_API_KEY: 'bench',
    TALLY_LLM_MODEL: 'gpt-4o-mini',
    TALLY_WORKER_CONCURRENCY: String(options.workerConcurrency),
    TALLY_MAX_ACTIVE_RUNS: '1000',
    TALLY_MESSAGES_PER_MINUTE: '10000',
    TALLY_MAX_SOCKETS_PER_USER: '10000',
    ...benchRunThreadsEnv(),
  });
  const counted = new Map<string, RunWrites>();
  const started = performance.now();
  const count = (events: RunEvent[], inTransaction: boolean) => {
    const runId = events[0]?.runId;
    if (!runId) return;
    let entry = counted.get(runId);
    if (!entry) counted.set(runId, (entry = { runId, writes: [] }));
    entry.writes.push({ at: performance.now() - started, events: events.length, inTransaction });
  };
  const runEventLog = (db: Db): RunEventLog => {
    const sqlLog = createSqlRunEventLog(db);
    return options.eventLog === 'sql' ? countingLog(sqlLog, count) : memoryStreamLog(sqlLog);
  };
  const app: App = await buildApp(config, { logger: pino({ level: config.logLevel }), databaseSchema: schema, ...(options.eventLog === 'node' ? {} : { runEventLog }) });
  const baseUrl = await app.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    baseUrl,
    wsUrl: `${baseUrl.replace(/^http/, 'ws')}/v1/ws`,
    writes: () => [...counted.values()],
    resetWrites: () => counted.clear(),
    async close() {
      await app.close();
      await dropSchema(options.postgresUrl, schema);
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The SQL log, telling `count` of every write. */
function countingLog(log: RunEventLog, count: (events: RunEvent[], inTransaction: boolean) => void): RunEventLog {
  return {
    async append(events, tx) {
      await log.append(events, tx);
      count(events.map((e) => e.event), tx !== undefined);
    },
    async start(start) {
      const outcome = await log.start(start);
      if (outcome.outcome === 'queued') count([start.queued], true);
      return outcome;
    },
    async end(end) {
      const ended = await log.end(end);
      if (ended) count(end.events.map((e) => e.event), true);
      return ended;
    },
    list: (run, afterSeq, limit) => log.list(run, afterSeq, limit),
  };
}

/**
 * Persistence off for what a run streams: events written outside a transaction (the run's
 * writer) are kept in memory. The run's start and end statements still write theirs (run_queued,
 * the terminal event), since the gateway replays from the database: with live subscribers on one
 * node the stream is then whole, and the difference to `sql` is the streamed writes alone.
 */
function memoryStreamLog(log: RunEventLog): RunEventLog {
  const streamed = new Map<string, RunEvent[]>();
  return {
    async append(events, tx) {
      if (tx) return log.append(events, tx);
      for (const { event } of events) {
        let list = streamed.get(event.runId);
        if (!list) streamed.set(event.runId, (list = []));
        list.push(event);
      }
    },
    start: (start) => log.start(start),
    async end(end) {
      // The end carries the terminal event: the run is over, its memory goes.
      streamed.delete(end.run.id);
      return log.end(end);
    },
    async list(run, afterSeq, limit = 10_000) {
      const stored = await log.list(run, afterSeq, limit);
      const bySeq = new Map<number, RunEvent>();
      for (const event of [...stored, ...(streamed.get(run.id) ?? [])]) if (event.seq > afterSeq) bySeq.set(event.seq, event);
      return [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(0, limit);
    },
  };
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
