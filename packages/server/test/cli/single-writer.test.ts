import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { rest } from '../support/rest.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../../..');
const PASSWORD = 'correct horse battery staple';

/**
 * One data folder, one writer: the CLI's writing commands and `tally serve` are separate processes
 * over the same embedded database. A command against a folder a running server holds refuses with
 * one line naming the server, and changes nothing; what a command wrote before the server started
 * is there when it runs.
 */
describe('CLI writing commands and a server over one data folder', () => {
  let dataDir: string;
  let server: NodeProcess | undefined;
  const tally = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'packages/server/src/cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0', TALLY_DATA_DIR: dataDir, TALLY_DATABASE_URL: '', TALLY_LOG_LEVEL: 'silent' },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
  const login = (email: string) => rest(server!.url, 'POST', '/v1/auth/login', { json: { email, password: PASSWORD } });

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-writer-'));
  });
  afterEach(async () => {
    await server?.kill();
    server = undefined;
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('server first: user create, prices and migrate refuse with one line naming the server, and nothing is written', async () => {
    server = await startNodeProcess({ TALLY_DATA_DIR: dataDir }, 180_000);
    const created = await tally(['user', 'create', '--email', 'late@example.com', '--password', PASSWORD]);
    expect(created.code).toBe(1);
    expect(created.stdout).not.toContain('Created');
    const lines = created.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('held by a running Tally server');
    expect(lines[0]).toContain(server.url.replace('0.0.0.0', '127.0.0.1'));
    expect(lines[0]).toContain('nothing was changed');

    for (const args of [['prices', 'discount', 'openai', '10'], ['migrate']]) {
      const refused = await tally(args);
      expect(refused.code, args.join(' ')).toBe(1);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toContain('held by a running Tally server');
    }
    // The server never got the account, before or after a restart.
    expect((await login('late@example.com')).status).toBe(401);
    await server.kill();
    server = await startNodeProcess({ TALLY_DATA_DIR: dataDir }, 180_000);
    expect((await login('late@example.com')).status).toBe(401);
  }, 600_000);

  it('CLI first: what the command wrote is there when the server starts, and a stopped server leaves the folder free', async () => {
    const created = await tally(['user', 'create', '--email', 'first@example.com', '--password', PASSWORD, '--admin']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created admin first@example.com');
    server = await startNodeProcess({ TALLY_DATA_DIR: dataDir }, 180_000);
    expect((await login('first@example.com')).status).toBe(200);
    await server.kill();
    server = undefined;
    // SIGTERM closed the database and let go of the folder: the CLI writes again.
    const second = await tally(['user', 'create', '--email', 'second@example.com', '--password', PASSWORD]);
    expect(second.code, second.stderr).toBe(0);
  }, 600_000);

  it('a lock left by a process that died is taken over', async () => {
    // A pid that cannot be alive: above the kernel's pid_max.
    await fs.writeFile(path.join(dataDir, 'tally.lock'), JSON.stringify({ pid: 2 ** 22 + 1, by: 'tally serve', url: 'http://127.0.0.1:1', since: new Date().toISOString() }));
    const created = await tally(['user', 'create', '--email', 'after@example.com', '--password', PASSWORD]);
    expect(created.code, created.stderr).toBe(0);
    await expect(fs.access(path.join(dataDir, 'tally.lock'))).rejects.toThrow();
  }, 300_000);
});
