import type { Config } from '../config/config.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';

export async function migrateCommand(config: Config): Promise<number> {
  const { db, engine } = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema, holder: 'tally migrate' });
  try {
    const applied = await migrateToLatest(db, config.databaseSchema);
    process.stdout.write(applied.length ? `Applied on ${engine}: ${applied.join(', ')}\n` : `The ${engine} schema is up to date.\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}
