import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashPassword } from '../../packages/server/src/auth/passwords.js';
import { createGenaiPriceCatalog } from '../../packages/server/src/pricing/genai-price-catalog.js';
import { openDatabase } from '../../packages/server/src/store/database.js';
import { migrateToLatest } from '../../packages/server/src/store/migrate.js';
import { generateUsage } from '../../packages/server/src/usage/demo/generate-usage.js';
import { priceUsageRecord } from '../../packages/server/src/usage/price-usage-record.js';
import { createSqlUsageStore } from '../../packages/server/src/usage/sql/sql-usage-store.js';
import type { PricedUsageRecord } from '../../packages/server/src/usage/usage-store.js';
import { createPersonalWorkspace } from '../../packages/server/src/workspaces/personal-workspace.js';

export interface PreparedUser {
  email: string;
  password: string;
}

export interface PreparedUsageFolder {
  /** An embedded data folder (TALLY_DATA_DIR) holding the users and their usage; copy it before use. */
  dir: string;
  users: PreparedUser[];
}

const DAYS = 30;
const BATCH = 5_000;

/**
 * A data folder whose `users` accounts each hold `records` generated usage records over the last
 * 30 days, built once and kept (BENCH_CACHE_DIR, else the temp folder) under a name that says its
 * sizes: generating and storing millions of records takes minutes and is not what a scenario
 * measures. A folder built before a newer migration is brought up to date by the node that opens
 * its copy, as any data folder is. The records are priced and stored by the SQL usage store
 * (rollups included), as an upload stores them, without the HTTP and parsing in front. Built in a
 * `.partial` folder and renamed when whole, so an interrupted build is never reused.
 */
export async function preparedUsageFolder(options: { users: number; records: number; log(line: string): void }): Promise<PreparedUsageFolder> {
  const root = process.env['BENCH_CACHE_DIR'] ?? path.join(os.tmpdir(), 'tally-bench-cache');
  const dir = path.join(root, `usage-${options.users}x${options.records}`);
  const usersFile = path.join(dir, 'bench-users.json');
  const existing = await fs.readFile(usersFile, 'utf8').catch(() => undefined);
  if (existing) return { dir, users: JSON.parse(existing) as PreparedUser[] };

  const partial = `${dir}.partial`;
  await fs.rm(partial, { recursive: true, force: true });
  await fs.mkdir(partial, { recursive: true });
  const started = performance.now();
  const { db } = await openDatabase({ url: undefined, dataDir: partial, holder: 'bench data preparation' });
  const users: PreparedUser[] = [];
  try {
    await migrateToLatest(db);
    const store = createSqlUsageStore(db);
    const prices = createGenaiPriceCatalog();
    const perDay = Math.ceil((options.records / DAYS) * 1.25);
    for (let i = 0; i < options.users; i++) {
      const user = { email: `prepared-${i}@bench.tally.test`, password: `Prepared-bench-password-${i}!` };
      const id = randomUUID();
      await db.insertInto('users').values({ id, email: user.email, password_hash: await hashPassword(user.password), role: 'member' }).execute();
      // Usage rows belong to a workspace: the account's personal one, as sign-up makes it.
      await createPersonalWorkspace(db, id);
      let batch: PricedUsageRecord[] = [];
      let stored = 0;
      for (const record of generateUsage({ seed: 100 + i, days: DAYS, end: new Date(), requestsPerDay: perDay })) {
        batch.push(priceUsageRecord(prices, record));
        stored += 1;
        if (batch.length === BATCH || stored === options.records) {
          await store.insert(id, batch);
          batch = [];
        }
        if (stored === options.records) break;
      }
      users.push(user);
      options.log(`prepared data folder: user ${i + 1}/${options.users} holds ${stored.toLocaleString('en-US')} records (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await db.destroy();
  }
  await fs.writeFile(path.join(partial, 'bench-users.json'), JSON.stringify(users));
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(partial, dir);
  return { dir, users };
}

/** A private copy of a prepared folder in the temp folder (the caller removes it). */
export async function copyPreparedFolder(folder: PreparedUsageFolder): Promise<string> {
  const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-bench-'));
  // A copy-on-write clone where the file system has them (instant), else a plain copy.
  await fs.cp(folder.dir, copy, { recursive: true, mode: fsConstants.COPYFILE_FICLONE, filter: (source) => path.basename(source) !== 'tally.lock' });
  return copy;
}
