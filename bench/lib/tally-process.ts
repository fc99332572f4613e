import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startMeasuredProcess, type MeasuredProcess } from './child.js';

export interface TallyProcess extends MeasuredProcess {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** ws://127.0.0.1:<port>/v1/ws */
  readonly wsUrl: string;
  /** Stops the process and removes its data folder. */
  close(): Promise<void>;
}

export interface TallyOptions {
  /** TALLY_LLM_BASE_URL of an OpenAI-compatible (mock) LLM; offline mode without it. */
  llmBaseUrl?: string;
  /** PostgreSQL instead of a fresh PGlite data folder (BENCH_DATABASE_URL also sets it). */
  databaseUrl?: string;
  /** More TALLY_* variables, winning over the bench defaults. */
  env?: Record<string, string>;
}

/**
 * One Tally node as people run it (`tally serve`), on a fresh PGlite data folder and a free port,
 * with the per-user limits raised so a few bench users can carry the load of many (the limits
 * guard against abuse by one person; the bench measures the server, not the limits).
 */
export async function startTally(options: TallyOptions = {}): Promise<TallyProcess> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-bench-'));
  const databaseUrl = options.databaseUrl ?? process.env['BENCH_DATABASE_URL'];
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
    ...(databaseUrl ? { TALLY_DATABASE_URL: databaseUrl } : {}),
    ...options.env,
  };
  if (!options.llmBaseUrl) delete env['TALLY_LLM_MODEL'];
  try {
    const { process: child, ready: url } = await startMeasuredProcess({
      script: path.join(REPO_ROOT, 'packages/server/src/cli/main.ts'),
      args: ['serve'],
      env,
      ready: (line) => /Tally is up at (http:\/\/[\d.:]+)/.exec(line)?.[1],
    });
    return {
      ...child,
      url,
      wsUrl: `${url.replace(/^http/, 'ws')}/v1/ws`,
      async close() {
        await child.stop();
        await fs.rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await fs.rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
