import crypto from 'node:crypto';
import { sql } from 'kysely';
import { AppError } from '../app-error.js';
import type { Db } from '../store/database.js';
import type { GenaiPriceCatalogOptions, PriceOverride } from './genai-price-catalog.js';

/**
 * The admin's prices, kept in the database (price_overrides, price_discounts) and loaded by every
 * node into its LivePriceCatalog, again whenever a change is announced on the bus. Edited through
 * these functions: by the admin routes and the `tally prices` CLI. A change applies at once to
 * records ingested and analyses run after it; records already stored keep the cost they were
 * priced at until an admin re-prices them (reprice-jobs.ts).
 */
export interface PriceSettings {
  overrides: PriceOverride[];
  /** Per provider id, percent off (0-100). */
  discountsPercent: Record<string, number>;
}

/** The settings, as the catalog takes them. */
export function catalogOptions(settings: PriceSettings): GenaiPriceCatalogOptions {
  return {
    overrides: settings.overrides,
    discounts: Object.fromEntries(Object.entries(settings.discountsPercent).map(([provider, percent]) => [provider, percent / 100])),
  };
}

export async function loadPriceSettings(db: Db): Promise<PriceSettings> {
  const [overrides, discounts] = await Promise.all([
    db.selectFrom('price_overrides').selectAll().orderBy(sql`model collate "C"`).orderBy(sql`provider collate "C"`).execute(),
    db.selectFrom('price_discounts').selectAll().orderBy(sql`provider collate "C"`).execute(),
  ]);
  return {
    overrides: overrides.map((o) => ({
      model: o.model,
      ...(o.provider ? { provider: o.provider } : {}),
      inputPerMTok: o.input_per_mtok,
      outputPerMTok: o.output_per_mtok,
      ...(o.cache_read_per_mtok === null ? {} : { cacheReadPerMTok: o.cache_read_per_mtok }),
      ...(o.cache_write_per_mtok === null ? {} : { cacheWritePerMTok: o.cache_write_per_mtok }),
    })),
    discountsPercent: Object.fromEntries(discounts.map((d) => [d.provider, d.percent])),
  };
}

/** Sets (or replaces) the price of a model, for one provider or any. */
export async function setPriceOverride(db: Db, override: PriceOverride): Promise<void> {
  const model = normalize(override.model);
  const prices = [override.inputPerMTok, override.outputPerMTok, override.cacheReadPerMTok, override.cacheWritePerMTok];
  if (model === '') throw new AppError('VALIDATION_FAILED', 'The model id is empty.');
  if (prices.some((p) => p !== undefined && !(Number.isFinite(p) && p >= 0))) {
    throw new AppError('VALIDATION_FAILED', 'Prices are USD per million tokens: numbers of 0 or more.');
  }
  const values = {
    model,
    provider: normalize(override.provider ?? ''),
    input_per_mtok: override.inputPerMTok,
    output_per_mtok: override.outputPerMTok,
    cache_read_per_mtok: override.cacheReadPerMTok ?? null,
    cache_write_per_mtok: override.cacheWritePerMTok ?? null,
  };
  await db
    .insertInto('price_overrides')
    .values({ id: crypto.randomUUID(), ...values })
    .onConflict((oc) => oc.columns(['model', 'provider']).doUpdateSet({ ...values, updated_at: new Date() }))
    .execute();
}

/** Removes a model's override; true when there was one. */
export async function removePriceOverride(db: Db, model: string, provider?: string): Promise<boolean> {
  const result = await db
    .deleteFrom('price_overrides')
    .where('model', '=', normalize(model))
    .where('provider', '=', normalize(provider ?? ''))
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Sets a provider's negotiated discount in percent; 0 removes it. */
export async function setProviderDiscount(db: Db, provider: string, percent: number): Promise<void> {
  const id = normalize(provider);
  if (id === '') throw new AppError('VALIDATION_FAILED', 'The provider id is empty.');
  if (!(Number.isFinite(percent) && percent >= 0 && percent < 100)) {
    throw new AppError('VALIDATION_FAILED', 'A discount is a percentage from 0 to less than 100.');
  }
  if (percent === 0) {
    await db.deleteFrom('price_discounts').where('provider', '=', id).execute();
    return;
  }
  await db
    .insertInto('price_discounts')
    .values({ provider: id, percent })
    .onConflict((oc) => oc.column('provider').doUpdateSet({ percent, updated_at: new Date() }))
    .execute();
}

function normalize(id: string): string {
  return id.toLowerCase().trim();
}
