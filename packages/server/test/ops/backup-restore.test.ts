import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '@tally/protocol';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { uniqueName } from '../support/services.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

/**
 * Backups as docs/OPERATIONS.md describes them, restored into a fresh server that must find every
 * user (who can sign in), thread, message, run event and usage record of the original:
 * - PostgreSQL: pg_dump (custom format, online) of Tally's schema, pg_restore into another
 *   database, a server started on it;
 * - the embedded engine: the data folder copied (tar) after a graceful stop, unpacked elsewhere,
 *   a server started on the copy.
 */
const run = promisify(execFile);
const PASSWORD = 'correct horse battery staple';
const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;

/** The newest PostgreSQL client tools installed (Debian keeps each version under /usr/lib/postgresql). */
async function pgTool(name: 'pg_dump' | 'pg_restore'): Promise<string> {
  const versions = (await fs.readdir('/usr/lib/postgresql').catch(() => [] as string[])).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const tool = `/usr/lib/postgresql/${v}/bin/${name}`;
    if (await fs.access(tool).then(() => true, () => false)) return tool;
  }
  return name;
}

interface Node {
  url: string;
  app: App;
}

async function startNode(env: Record<string, string>, schema?: string): Promise<Node> {
  const config = loadConfig({ TALLY_HOST: '127.0.0.1', TALLY_PORT: '0', TALLY_LOG_LEVEL: 'silent', ...env });
  const app = await buildApp(config, { logger: pino({ level: 'silent' }), ...(schema ? { databaseSchema: schema } : {}) });
  return { app, url: await app.app.listen({ host: '127.0.0.1', port: 0 }) };
}

interface Account {
  email: string;
  /** Their personal workspace's id too. */
  userId: string;
  usage: string;
  /** Records the first ingest stored. */
  records: number;
  runIds: string[];
}

/** Two users, each with usage and two finished runs (one thread each, one with a follow-up). */
async function fill(url: string): Promise<Account[]> {
  const accounts: Account[] = [];
  for (const seed of [41, 42]) {
    const user = await signUp(url, `backup-${seed}`);
    const usage = usageNdjson({ seed, days: 3, requestsPerDay: 25 });
    const ingest = await rest<{ inserted: number }>(url, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usage });
    expect(ingest.status).toBe(200);
    expect(ingest.body.inserted).toBeGreaterThan(20);
    const socket = await openTestSocket(url.replace(/^http/, 'ws') + '/v1/ws', { ticket: await ticketFor(url, user.token), workspaceId: user.userId });
    const first = (await socket.command('send_message', { text: 'Where is my AI money going?' }))['data'] as { runId: string; threadId: string };
    await socket.waitForTerminal(first.runId, 60_000);
    const second = (await socket.command('send_message', { text: 'And how much would caching save?', threadId: first.threadId }))['data'] as { runId: string };
    await socket.waitForTerminal(second.runId, 60_000);
    socket.close();
    accounts.push({ email: user.email, userId: user.userId, usage, records: ingest.body.inserted, runIds: [first.runId, second.runId] });
  }
  return accounts;
}

/** Everything a user sees, read through the API after signing in with the password. */
async function snapshot(url: string, accounts: Account[]) {
  const seen = [];
  for (const account of accounts) {
    const login = await rest<{ accessToken: string; user: { id: string } }>(url, 'POST', '/v1/auth/login', { json: { email: account.email, password: PASSWORD } });
    expect(login.status, `${account.email} signs in`).toBe(200);
    const token = login.body.accessToken;
    // Each account's personal workspace (its id is the account's).
    const inOwn = (path: string) => `/v1/workspaces/${login.body.user.id}/${path}`;
    const threads = (await rest<{ threads: Array<{ id: string }> }>(url, 'GET', inOwn('threads'), { token })).body.threads;
    const messages = [];
    for (const thread of threads) messages.push((await rest(url, 'GET', inOwn(`threads/${thread.id}/messages`), { token })).body);
    const events: RunEvent[][] = [];
    for (const runId of account.runIds) events.push((await rest<{ events: RunEvent[] }>(url, 'GET', inOwn(`runs/${runId}/events`), { token })).body.events);
    const usage = (await rest(url, 'GET', `/v1/workspaces/${account.userId}/usage/overview`, { token })).body;
    seen.push({ email: account.email, threads, messages, events, usage });
  }
  return seen;
}

/** The restored server has every usage record: the same file again adds nothing. */
async function expectEveryUsageRecord(url: string, accounts: Account[]): Promise<void> {
  for (const account of accounts) {
    const login = await rest<{ accessToken: string; user: { id: string } }>(url, 'POST', '/v1/auth/login', { json: { email: account.email, password: PASSWORD } });
    const again = await rest<{ lines: number; inserted: number; duplicates: number }>(url, 'POST', `/v1/workspaces/${account.userId}/usage`, { token: login.body.accessToken, body: account.usage });
    expect(again.body.inserted).toBe(0);
    expect(again.body.duplicates).toBe(again.body.lines);
  }
}

/** What was written is what the original server shows, before anything is backed up. */
function expectWhole(before: Awaited<ReturnType<typeof snapshot>>, accounts: Account[]) {
  for (const [i, user] of before.entries()) {
    expect(user.threads.length).toBe(1);
    expect(user.messages).toEqual([{ messages: expect.arrayContaining([expect.objectContaining({ role: 'assistant' })]) }]);
    expect((user.messages[0] as { messages: unknown[] }).messages).toHaveLength(4);
    expect(user.events.every((events) => events.length > 5 && events.at(-1)!.type === 'run_completed')).toBe(true);
    expect((user.usage as { records: number }).records).toBe(accounts[i]!.records);
  }
}

describe.skipIf(scale.skipReason !== null)(`PostgreSQL: pg_dump, pg_restore into a fresh database ${scale.skipReason ?? ''}`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('a server on the restored database finds every user, thread, message, run event and usage record', async () => {
    const url = scale.postgresUrl!;
    const schema = uniqueName('backup');
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-backup-'));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const database = uniqueName('restored');
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.end();
      await fs.rm(dataDir, { recursive: true, force: true });
    });

    const original = await startNode({ TALLY_DATABASE_URL: url, TALLY_DATA_DIR: dataDir }, schema);
    cleanups.push(() => original.app.close());
    const accounts = await fill(original.url);
    const before = await snapshot(original.url, accounts);
    expectWhole(before, accounts);

    // Online: pg_dump reads one consistent snapshot while the server keeps running.
    const dump = path.join(dataDir, 'tally.dump');
    await run(await pgTool('pg_dump'), ['--format=custom', `--schema=${schema}`, `--file=${dump}`, url]);
    await admin.query(`CREATE DATABASE "${database}"`);
    const restoredUrl = Object.assign(new URL(url), { pathname: `/${database}` }).toString();
    await run(await pgTool('pg_restore'), ['--no-owner', '--exit-on-error', `--dbname=${restoredUrl}`, dump]);
    await original.app.close();

    const restored = await startNode({ TALLY_DATABASE_URL: restoredUrl, TALLY_DATA_DIR: dataDir }, schema);
    cleanups.push(() => restored.app.close());
    expect(await snapshot(restored.url, accounts)).toEqual(before);
    await expectEveryUsageRecord(restored.url, accounts);
  }, 180_000);
});

describe('embedded engine: the data folder copied after a graceful stop', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('a server on the unpacked copy finds every user, thread, message, run event and usage record', async () => {
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-backup-'));
    cleanups.push(() => fs.rm(work, { recursive: true, force: true }));
    const dataDir = path.join(work, 'data');
    const original = await startNode({ TALLY_DATA_DIR: dataDir });
    cleanups.push(() => original.app.close());
    const accounts = await fill(original.url);
    const before = await snapshot(original.url, accounts);
    expectWhole(before, accounts);
    await original.app.close();

    const archive = path.join(work, 'tally-backup.tar.gz');
    await run('tar', ['-C', dataDir, '-czf', archive, '.']);
    const restoredDir = path.join(work, 'restored');
    await fs.mkdir(restoredDir);
    await run('tar', ['-C', restoredDir, '-xzf', archive]);

    const restored = await startNode({ TALLY_DATA_DIR: restoredDir });
    cleanups.push(() => restored.app.close());
    expect(await snapshot(restored.url, accounts)).toEqual(before);
    await expectEveryUsageRecord(restored.url, accounts);
  }, 240_000);
});
