import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * One data folder, one writer. The embedded database is a folder that only one process may have
 * open: a second one (a CLI command beside a running server) would write into its own copy and lose
 * it. Whoever opens the folder holds `tally.lock` in it (pid, what it is, the server's address once
 * it listens); a lock whose process is gone is stale and taken over.
 */
const LOCK_FILE = 'tally.lock';

const Holder = z.object({
  pid: z.number().int(),
  /** What holds the folder: `tally serve`, `tally user create`... */
  by: z.string(),
  /** The server's address, once it listens. */
  url: z.string().optional(),
  since: z.string(),
});
export type DataFolderHolder = z.infer<typeof Holder>;

export class DataFolderInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: DataFolderHolder,
  ) {
    super(inUseMessage(dataDir, holder));
    this.name = 'DataFolderInUseError';
  }
}

function inUseMessage(dataDir: string, holder: DataFolderHolder): string {
  const who = `${holder.by} (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''})`;
  if (holder.by === 'tally serve') {
    return `the data folder ${dataDir} is held by a running Tally server ${who}; nothing was changed. Make this change through that server (its admin page or admin API), or stop it and run the command again.`;
  }
  return `the data folder ${dataDir} is in use by ${who}; nothing was changed. Wait for it to finish and try again.`;
}

export interface DataFolderLock {
  /** Records the server's address in the lock, for the message another process gets. */
  advertise(url: string): Promise<void>;
  release(): Promise<void>;
}

/** Takes the data folder for this process, or throws DataFolderInUseError naming its holder. */
export async function lockDataFolder(dataDir: string, by: string): Promise<DataFolderLock> {
  const file = path.join(dataDir, LOCK_FILE);
  const mine: DataFolderHolder = { pid: process.pid, by, since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(file, mine)) break;
    const holder = await readHolder(file);
    // Our own pid in the lock is a previous life of this process's pid (a container restarted
    // with the same pid): this process never opens a folder twice.
    if (holder && holder.pid !== process.pid && isAlive(holder.pid)) throw new DataFolderInUseError(dataDir, holder);
    // Stale (its process is gone) or unreadable: taken over, once; a second loss is a live race.
    if (attempt > 0) throw new DataFolderInUseError(dataDir, holder ?? { pid: 0, by: 'another process', since: mine.since });
    await fs.rm(file, { force: true });
  }
  return {
    advertise: (url) => advertiseDataFolder(dataDir, url),
    async release() {
      const holder = await readHolder(file);
      if (holder?.pid === process.pid) await fs.rm(file, { force: true });
    },
  };
}

/** Records a server's address in the lock this process holds (nothing when it holds none). */
export async function advertiseDataFolder(dataDir: string, url: string): Promise<void> {
  const file = path.join(dataDir, LOCK_FILE);
  const holder = await readHolder(file);
  if (holder?.pid !== process.pid) return;
  const temp = `${file}.${crypto.randomUUID()}`;
  await fs.writeFile(temp, JSON.stringify({ ...holder, url }));
  await fs.rename(temp, file);
}

/** Written whole to a temporary name and linked into place: the lock is never seen half-written. */
async function createExclusive(file: string, holder: DataFolderHolder): Promise<boolean> {
  const temp = `${file}.${crypto.randomUUID()}`;
  await fs.writeFile(temp, JSON.stringify(holder));
  try {
    await fs.link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function readHolder(file: string): Promise<DataFolderHolder | undefined> {
  try {
    const parsed = Holder.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
