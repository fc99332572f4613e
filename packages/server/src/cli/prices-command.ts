import type { Config } from '../config/config.js';
import { createGenaiPriceCatalog } from '../pricing/genai-price-catalog.js';
import { loadPriceSettings, setPriceOverride, setProviderDiscount, type PriceSettings } from '../pricing/price-settings.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';

export type PricesAction =
  | { kind: 'list' }
  | { kind: 'set'; model: string; provider?: string; inputPerMTok: number; outputPerMTok: number; cacheReadPerMTok?: number; cacheWritePerMTok?: number }
  | { kind: 'discount'; provider: string; percent: number };

/**
 * `tally prices`: the admin's price overrides and provider discounts, written to the database the
 * server uses (the same TALLY_DATABASE_URL / TALLY_DATA_DIR). Nodes load them at start.
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
      default: {
        const never: never = action;
        throw new Error(`unknown prices action ${JSON.stringify(never)}`);
      }
    }
    for (const line of describe(await loadPriceSettings(db))) out(line);
    if (action.kind !== 'list') out('Running nodes apply this when they restart; records already stored keep their price.');
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
