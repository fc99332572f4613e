import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { EngineSetup } from './engines.js';
import { newEmbeddedDataDir } from './pglite-template.js';
import { uniqueName } from './services.js';

export interface TestApp {
  app: App;
  baseUrl: string;
  wsUrl: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  engine: EngineSetup;
  /** Extra environment, e.g. TALLY_LLM_BASE_URL for the fake LLM. */
  env?: Record<string, string>;
  /**
   * Share the store of an earlier instance (a second node, or a restart): same schema and
   * prefix, or the same data folder on the embedded engine.
   */
  shareWith?: TestApp;
  /** On postgres+redis, leave Redis out: one node on PostgreSQL with the in-process bus. */
  withoutRedis?: boolean;
}

/**
 * A real node on port 0 over real stores: a temp data folder on the embedded engine, or its own
 * Postgres schema and Redis prefix. close() stops it and removes what it created.
 */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const shared = options.shareWith ? sharedOf.get(options.shareWith) : undefined;
  const scale = options.engine.name === 'postgres+redis';
  const dataDir = shared?.dataDir ?? (scale ? await fs.mkdtemp(path.join(os.tmpdir(), 'tally-test-')) : await newEmbeddedDataDir('tally-test-'));
  const schema = shared?.schema ?? uniqueName('t');
  const prefix = shared?.prefix ?? `${uniqueName('tally-test')}:`;
  const config = loadConfig({
    TALLY_PORT: '0',
    TALLY_HOST: '127.0.0.1',
    TALLY_DATA_DIR: dataDir,
    TALLY_LOG_LEVEL: process.env['TALLY_TEST_LOG_LEVEL'] ?? 'silent',
    TALLY_ACCESS_TOKEN_TTL_SECONDS: '900',
    // Pipelines on this thread unless a test asks for run threads: the in-process app is for tests
    // of what a node does, and the embedded default's run thread is tested as a process
    // (test/runs/embedded-liveness.test.ts, the CLI and golden-path processes).
    TALLY_RUN_THREADS: '0',
    // Connectors: a fixed key seals admin keys (on PostgreSQL too; '' in `env` unsets it), and the
    // providers' APIs are a closed local port unless a test points them at its fake: a test never
    // reaches the real providers.
    TALLY_CONNECTOR_KEY: TEST_CONNECTOR_KEY,
    TALLY_CONNECTOR_OPENAI_BASE_URL: 'http://127.0.0.1:9',
    TALLY_CONNECTOR_ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
    ...(scale ? { TALLY_DATABASE_URL: options.engine.postgresUrl! } : {}),
    ...(scale && !options.withoutRedis ? { TALLY_REDIS_URL: options.engine.redisUrl!, TALLY_REDIS_PREFIX: prefix } : {}),
    ...options.env,
  });
  const app = await buildApp(config, {
    logger: pino({ level: config.logLevel }),
    ...(scale ? { databaseSchema: schema } : {}),
  });
  const address = await app.app.listen({ host: '127.0.0.1', port: 0 });
  const owner = !shared;
  const testApp: TestApp = {
    app,
    baseUrl: address,
    wsUrl: address.replace(/^http/, 'ws') + '/v1/ws',
    async close() {
      await app.close();
      if (owner) {
        // A shared store is removed by the instance that created it, after the others closed.
        if (scale) await dropSchema(options.engine.postgresUrl!, schema);
        else await fs.rm(dataDir, { recursive: true, force: true });
      }
    },
  };
  sharedOf.set(testApp, { dataDir, schema, prefix });
  return testApp;
}

/** The connector key test nodes use (32 bytes, hex). */
export const TEST_CONNECTOR_KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';

const sharedOf = new WeakMap<TestApp, { dataDir: string; schema: string; prefix: string }>();

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
