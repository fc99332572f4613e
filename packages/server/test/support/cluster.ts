import crypto from 'node:crypto';
import pg from 'pg';
import type { EngineSetup } from './engines.js';
import { startNodeProcess, type NodeProcess } from './node-process.js';
import { uniqueName } from './services.js';

/**
 * Several `tally serve` processes sharing one PostgreSQL schema and one Redis prefix: a
 * deployment behind a load balancer with no sticky sessions, in miniature.
 */
export interface Cluster {
  nodes: NodeProcess[];
  /** Starts one more node of the same deployment (`env` adds to or overrides the cluster's). */
  addNode(env?: Record<string, string>): Promise<NodeProcess>;
  /** The node whose worker holds a run's lease, if any. */
  ownerOf(runId: string): Promise<NodeProcess | undefined>;
  query<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** `startTimeoutMs`: how long each node may take to start (30 s by default; more on a loaded machine). */
export async function startCluster(options: { engine: EngineSetup; count: number; env?: Record<string, string>; redisUrl?: string; startTimeoutMs?: number }): Promise<Cluster> {
  const schema = uniqueName('c');
  const env: Record<string, string> = {
    TALLY_DATABASE_URL: options.engine.postgresUrl!,
    TALLY_DATABASE_SCHEMA: schema,
    TALLY_REDIS_URL: options.redisUrl ?? options.engine.redisUrl!,
    TALLY_REDIS_PREFIX: `${uniqueName('tally-cluster')}:`,
    TALLY_JWT_SECRET: crypto.randomBytes(32).toString('hex'),
    TALLY_RUN_LEASE_MS: '2000',
    TALLY_DATA_DIR: `/tmp/${schema}`,
    ...options.env,
  };
  const client = new pg.Client({ connectionString: options.engine.postgresUrl! });
  await client.connect();
  const nodes: NodeProcess[] = [];
  // The first node migrates the schema; the rest start together on a migrated schema.
  const start = (nodeEnv: Record<string, string>) => startNodeProcess(nodeEnv, options.startTimeoutMs);
  nodes.push(await start(env));
  nodes.push(...(await Promise.all(Array.from({ length: options.count - 1 }, () => start(env)))));

  const query = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    (await client.query<T>(text.replaceAll('$schema', `"${schema}"`), values)).rows;

  return {
    nodes,
    async addNode(extra = {}) {
      const node = await start({ ...env, ...extra });
      nodes.push(node);
      return node;
    },
    async ownerOf(runId) {
      const [row] = await query<{ lease_owner: string | null }>('SELECT lease_owner FROM $schema.runs WHERE id = $1', [runId]);
      // A node's run threads own runs as `<node id>/<thread>` (TALLY_RUN_THREADS).
      const owner = row?.lease_owner;
      return owner ? nodes.find((n) => owner === n.nodeId || owner.startsWith(`${n.nodeId}/`)) : undefined;
    },
    query,
    async close() {
      await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}
