import net from 'node:net';
import crypto from 'node:crypto';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveClickHouse } from './clickhouse.js';

/**
 * The real-services fixture (DESIGN.md section 7). PostgreSQL, Redis and ClickHouse are found at
 * their URL variable or default local port, or started from the machine's installed binaries
 * (ClickHouse as a throw-away server, see clickhouse.ts). Each test file then takes its own
 * Postgres schema, Redis key prefix and ClickHouse database, so files run in parallel.
 */
export interface ServiceUrls {
  postgres: string | null;
  redis: string | null;
  clickhouse: string | null;
  /** Why a service is missing, for the loud skip (or the CI failure). */
  missing: Record<string, string>;
  /** Stops what the fixture started for this run only (the throw-away ClickHouse). */
  stop(): Promise<void>;
}

const run = promisify(execFile);

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export async function resolveServices(env = process.env): Promise<ServiceUrls> {
  const missing: Record<string, string> = {};
  const postgres = env['TALLY_TEST_DATABASE_URL'] ?? DEFAULT_POSTGRES_URL;
  const redis = env['TALLY_TEST_REDIS_URL'] ?? DEFAULT_REDIS_URL;
  const [pgOk, redisOk, clickhouse] = await Promise.all([
    ensure(postgres, startPostgres).catch((e: Error) => ((missing['postgres'] = e.message), false)),
    ensure(redis, startRedis).catch((e: Error) => ((missing['redis'] = e.message), false)),
    resolveClickHouse(env),
  ]);
  if (clickhouse.missing) missing['clickhouse'] = clickhouse.missing;
  return { postgres: pgOk ? postgres : null, redis: redisOk ? redis : null, clickhouse: clickhouse.url, missing, stop: clickhouse.stop };
}

async function ensure(url: string, start: (url: URL) => Promise<void>): Promise<boolean> {
  const u = new URL(url);
  if (await reachable(u)) return true;
  await start(u);
  for (let i = 0; i < 50; i++) {
    if (await reachable(u)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${u.protocol}//${u.host} did not come up after starting it`);
}

function reachable(u: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Starts the machine's PostgreSQL cluster (Debian's pg_ctlcluster), as CI's machine has it. */
async function startPostgres(u: URL): Promise<void> {
  if (!['127.0.0.1', 'localhost'].includes(u.hostname)) throw new Error(`PostgreSQL at ${u.host} is unreachable`);
  try {
    const { stdout } = await run('ls', ['/etc/postgresql']);
    const version = stdout.trim().split('\n')[0];
    if (!version) throw new Error('no cluster');
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start']);
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${u.host} and could not be started: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Starts a throw-away redis-server on the URL's port, keeping nothing on disk. */
async function startRedis(u: URL): Promise<void> {
  if (!['127.0.0.1', 'localhost'].includes(u.hostname)) throw new Error(`Redis at ${u.host} is unreachable`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('redis-server', ['--port', u.port || '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes'], { stdio: 'ignore' });
    child.on('error', (e) => reject(new Error(`Redis is not reachable at ${u.host} and redis-server could not be started: ${e.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-server exited with ${code}`))));
  });
}

/** A name unique to one test file or app instance. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(5).toString('hex')}`;
}
