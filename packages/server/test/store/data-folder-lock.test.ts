import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataFolderInUseError, lockDataFolder } from '../../src/store/data-folder-lock.js';

/** The data folder's lock: a live holder refuses with who and where, a dead one (or a past life of our pid) is taken over. */
describe('data folder lock', () => {
  let dir: string;
  const lockFile = () => path.join(dir, 'tally.lock');
  const writeHolder = (pid: number) => fs.writeFile(lockFile(), JSON.stringify({ pid, by: 'tally serve', url: 'http://127.0.0.1:8123', since: new Date().toISOString() }));

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-lock-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses while a live process holds it, naming it; takes it over once that process is gone', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const gone = new Promise((resolve) => other.once('exit', resolve));
    try {
      await writeHolder(other.pid!);
      const error = await lockDataFolder(dir, 'tally user create').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataFolderInUseError);
      expect((error as Error).message).toContain(`held by a running Tally server tally serve (pid ${other.pid}, http://127.0.0.1:8123); nothing was changed`);
    } finally {
      other.kill();
      await gone;
    }
    const lock = await lockDataFolder(dir, 'tally user create');
    expect(JSON.parse(await fs.readFile(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, by: 'tally user create' });
    await lock.advertise('http://127.0.0.1:9999');
    expect(JSON.parse(await fs.readFile(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:9999' });
    await lock.release();
    await expect(fs.access(lockFile())).rejects.toThrow();
  });

  it("takes over a lock with this process's own pid (a restarted container reuses pids)", async () => {
    await writeHolder(process.pid);
    const lock = await lockDataFolder(dir, 'tally serve');
    await lock.release();
  });
});
