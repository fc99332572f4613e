import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { REPO_ROOT, startMeasuredProcess, type MeasuredProcess } from './child.js';
import { benchRunThreadsEnv } from './in-process-tally.js';

export interface TallyProcess extends MeasuredProcess {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** ws://127.0.0.1:<port>/v1/ws */
  readonly wsUrl: string;
  /** Its PostgreSQL database and schema, when it runs on PostgreSQL (to check figures against its log). */
  readonly postgres: { url: string; schema: string } | undefined;
  /** Stops the process and removes its data folder. */
  close(): Promise<void>;
}

export interface TallyOptions {
  /** TALLY_LLM_BASE_URL of an OpenAI-compatible (mock) LLM; offline mode without it. */
  llmBaseUrl?: string;
  /**
   * `pglite` (default): the embedded store in a fresh data folder. `postgres`: a fresh schema in
   * the PostgreSQL at BENCH_DATABASE_URL (default the machine's local one), dropped on close.
   */
  database?: 'pglite' | 'postgres';
  /** Join another node's PostgreSQL schema (a cluster); it is left in place on close, its first node drops it. */
  joinPostgres?: { url: string; schema: string };
  /** More TALLY_* variables, winning over the bench defaults. */
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof when looking for a hot spot). */
  nodeFlags?: string[];
  /** How long the node may take to start (60 s by default; a fresh embedded database on a busy machine takes longer). */
  startTimeoutMs?: number;
  /** An embedded data folder to run on instead of a fresh one (a copy: it is removed on close). */
  dataDir?: string;
}

/**
 * One Tally node as people run it (`tally serve`), on a fresh PGlite data folder and a free port,
 * with the per-user limits raised so a few bench users can carry the load of many (the limits
 * guard against abuse by one person; the bench measures the server, not the limits).
 */
export async function startTally(options: TallyOptions = {}): Promise<TallyProcess> {
  const dataDir = options.dataDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'tally-bench-')));
  const joined = options.joinPostgres;
  const databaseUrl = joined?.url ?? (options.database === 'postgres' ? benchPostgresUrl() : undefined);
  const schema = joined?.schema ?? (databaseUrl ? `bench_rt_${crypto.randomBytes(6).toString('hex')}` : undefined);
  const env: Record<string, string> = {
    TALLY_HOST: '127.0.0.1',
    TALLY_PORT: '0',
    TALLY_DATA_DIR: dataDir,
    TALLY_JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    TALLY_LOG_LEVEL: 'info',
    TALLY_MAX_ACTIVE_RUNS: '1000',
    TALLY_MESSAGES_PER_MINUTE: '10000',
    TALLY_MAX_SOCKETS_PER_USER: '10000',
    TALLY_WORKER_CONCURRENCY: '1200',
    TALLY_ACCESS_TOKEN_TTL_SECONDS: '3600',
    TALLY_WS_TICKET_TTL_SECONDS: '600',
    TALLY_LLM_API_KEY: 'bench',
    TALLY_LLM_MODEL: 'bench-model',
    ...(options.llmBaseUrl ? { TALLY_LLM_BASE_URL: options.llmBaseUrl } : {}),
    ...(databaseUrl && schema ? { TALLY_DATABASE_URL: databaseUrl, TALLY_DATABASE_SCHEMA: schema } : {}),
    ...benchRunThreadsEnv(),
    ...options.env,
  };
  if (!options.llmBaseUrl) delete env['TALLY_LLM_MODEL'];
  try {
    const { process: child, ready: url } = await startMeasuredProcess({
      script: path.join(REPO_ROOT, 'packages/server/src/cli/main.ts'),
      args: ['serve'],
      env,
      nodeFlags: [...(options.nodeFlags ?? []), ...cpuProfileFlags(), ...lookingInsideFlags()],
      ...(process.env['BENCH_TALLY_OUTPUT'] ? { outputFile: process.env['BENCH_TALLY_OUTPUT'] } : {}),
      ready: (line) => /Tally is up at (http:\/\/[\d.:]+)/.exec(line)?.[1],
      ...(options.startTimeoutMs ? { timeoutMs: options.startTimeoutMs } : {}),
    });
    return {
      ...child,
      url,
      wsUrl: `${url.replace(/^http/, 'ws')}/v1/ws`,
      postgres: databaseUrl && schema ? { url: databaseUrl, schema } : undefined,
      async close() {
        await child.stop();
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }

  async function cleanUp() {
    // A node killed a moment ago may still be letting go of its files.
    await fs.rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    if (databaseUrl && schema && !joined) await dropSchema(databaseUrl, schema);
  }
}

/** BENCH_TALLY_CPU_PROF=<dir> writes a CPU profile of every Tally node a scenario starts, to find where its time goes. */
function cpuProfileFlags(): string[] {
  const dir = process.env['BENCH_TALLY_CPU_PROF'];
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/**
 * BENCH_TALLY_NODE_FLAGS="--trace-gc ..." adds node flags to every Tally node a scenario starts, and
 * BENCH_TALLY_OUTPUT=<file> keeps what the nodes print (the flags' traces among it), to look inside a run.
 */
function lookingInsideFlags(): string[] {
  return (process.env['BENCH_TALLY_NODE_FLAGS'] ?? '').split(/\s+/).filter((flag) => flag !== '');
}

/** The PostgreSQL the benches use: BENCH_DATABASE_URL, else the machine's local one. */
export function benchPostgresUrl(): string {
  return process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
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
