import fs from 'node:fs/promises';
import { channels } from '../bus/bus.js';
import { createRedisBus } from '../bus/redis-bus.js';
import type { Config } from '../config/config.js';
import { parseCatalogData } from '../pricing/catalog-data.js';
import { loadCatalogData, saveCatalogData } from '../pricing/catalog-data-store.js';
import { createGenaiPriceCatalog } from '../pricing/genai-price-catalog.js';
import { loadPriceSettings, setPriceOverride, setProviderDiscount, type PriceSettings } from '../pricing/price-settings.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';

export type PricesAction =
  | { kind: 'list' }
  | { kind: 'set'; model: string; provider?: string; inputPerMTok: number; outputPerMTok: number; cacheReadPerMTok?: number; cacheWritePerMTok?: number }
  | { kind: 'discount'; provider: string; percent: number }
  /** A genai-prices data file (its data.json) every node prices with instead of the bundled catalog. */
  | { kind: 'load'; file: string; version?: string };

/**
 * `tally prices`: the admin's price overrides and provider discounts, written to the database the
 * server uses (the same TALLY_DATABASE_URL / TALLY_DATA_DIR). Running nodes hear of the change on
 * Redis, or (PostgreSQL without Redis) see it by polling; the embedded data folder is refused while
 * a server holds it (store/data-folder-lock.ts: make the change through that server).
 */
export async function pricesCommand(config: Config, action: PricesAction, out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  const { db } = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, holder: 'tally prices' });
  try {
    await migrateToLatest(db);
    switch (action.kind) {
      case 'list':
        break;
      case 'set': {
        const { kind: _kind, ...override } = action;
        await setPriceOverride(db, override);
        out(`Set ${override.model}${override.provider ? ` (${override.provider})` : ''}: $${override.inputPerMTok}/MTok in, $${override.outputPerMTok}/MTok out.`);
        break;
      }
      case 'discount':
        await setProviderDiscount(db, action.provider, action.percent);
        out(action.percent === 0 ? `Removed the discount of ${action.provider}.` : `Set a ${action.percent}% discount on ${action.provider}'s catalog prices.`);
        break;
      case 'load': {
        // Checked whole before anything is stored (CATALOG_DATA_INVALID): a bad file changes nothing.
        const data = parseCatalogData(await fs.readFile(action.file, 'utf8'), action.version);
        await saveCatalogData(db, data, null);
        out(`Loaded genai-prices data ${data.version} (${data.providers.length} providers, ${data.modelCount} models, sha256 ${data.sha256.slice(0, 12)}).`);
        break;
      }
      default: {
        const never: never = action;
        throw new Error(`unknown prices action ${JSON.stringify(never)}`);
      }
    }
    for (const line of describe(await loadPriceSettings(db))) out(line);
    const { source } = await loadCatalogData(db);
    out(source.kind === 'bundled' ? `Catalog: ${source.version} (bundled).` : `Catalog: genai-prices data ${source.version}, loaded ${source.loadedAt}.`);
    if (action.kind !== 'list') {
      // Nodes sharing Redis reload their prices at once; a single node without Redis when it restarts.
      if (config.redisUrl) {
        const bus = await createRedisBus({ url: config.redisUrl, prefix: config.redisPrefix });
        try {
          await bus.publish(channels.pricesChanged, 'changed');
        } finally {
          await bus.close();
        }
        out('Running nodes price with this from now on; records already stored keep their price until an admin re-prices them.');
      } else {
        // Without Redis: a server on the same PostgreSQL polls the stored prices (agent-services.ts);
        // the embedded data folder cannot be open in a running server now (its lock refused us otherwise).
        out(
          config.databaseUrl
            ? 'A running node prices with this within a few seconds; records already stored keep their price until an admin re-prices them.'
            : 'The server prices with this when it starts; records already stored keep their price until an admin re-prices them.',
        );
      }
    }
    return 0;
  } finally {
    await db.destroy();
  }
}

function describe(settings: PriceSettings): string[] {
  const lines: string[] = [];
  const catalog = createGenaiPriceCatalog();
  if (settings.overrides.length === 0) lines.push('No price overrides.');
  else lines.push('Price overrides (USD per million tokens):');
  for (const o of settings.overrides) {
    const known = catalog.modelPrices(o.model, o.provider ?? null) ? '' : ' (not in the catalog)';
    const cache = [o.cacheReadPerMTok === undefined ? '' : `, cache read ${o.cacheReadPerMTok}`, o.cacheWritePerMTok === undefined ? '' : `, cache write ${o.cacheWritePerMTok}`].join('');
    lines.push(`  ${o.model} [${o.provider ?? 'any provider'}]: input ${o.inputPerMTok}, output ${o.outputPerMTok}${cache}${known}`);
  }
  const discounts = Object.entries(settings.discountsPercent);
  if (discounts.length === 0) lines.push('No provider discounts.');
  else lines.push('Provider discounts (on catalog prices, not on overrides):');
  for (const [provider, percent] of discounts) lines.push(`  ${provider}: ${percent}%`);
  return lines;
}
