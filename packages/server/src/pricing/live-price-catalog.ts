import crypto from 'node:crypto';
import { sql } from 'kysely';
import { channels, type Bus } from '../bus/bus.js';
import { canonicalJson } from '../canonical-json.js';
import type { Db } from '../store/database.js';
import { loadCatalogData, type CatalogSource } from './catalog-data-store.js';
import { createGenaiPriceCatalog, type GenaiPriceCatalog } from './genai-price-catalog.js';
import { catalogOptions, loadPriceSettings, type PriceSettings } from './price-settings.js';

/** The prices a node uses now: the admin's settings over the catalog data in force. */
export interface PricesInForce {
  settings: PriceSettings;
  source: CatalogSource;
  /** Identifies the prices: equal fingerprints price every record the same (re-pricing checks it). */
  fingerprint: string;
  catalog: GenaiPriceCatalog;
}

/**
 * The node's PriceCatalog, kept in step with the database: overrides, discounts and the loaded
 * catalog data are read at start, and again whenever any node announces a change on the bus
 * (and after a bus reconnect, when an announcement may have been lost). Ingests, analyses and
 * re-pricing each take the catalog in force when they price, so a change applies to every node
 * and run thread at once, without a restart.
 */
export interface LivePriceCatalog extends GenaiPriceCatalog {
  current(): PricesInForce;
  /** After a write to the prices: reloads here, then tells every other node. */
  changed(): Promise<void>;
  /** Reads the prices again (what a bus message triggers). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export async function readPricesInForce(db: Db): Promise<PricesInForce> {
  const [settings, { data, source }] = await Promise.all([loadPriceSettings(db), loadCatalogData(db)]);
  const catalog = createGenaiPriceCatalog({ ...catalogOptions(settings), ...(data ? { providers: data.providers } : {}) });
  return { settings, source, fingerprint: pricesFingerprint(settings, source), catalog };
}

export function pricesFingerprint(settings: PriceSettings, source: CatalogSource): string {
  return crypto.createHash('sha256').update(canonicalJson({ settings, catalog: source.sha256 ?? source.version })).digest('hex');
}

/**
 * A cheap mark of the stored prices: changes whenever an override, a discount or the catalog data
 * is written or removed (row counts and latest write times), without reading the catalog data.
 */
export async function readPricesStamp(db: Db): Promise<string> {
  const row = await sql<{ stamp: string }>`SELECT
      (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM price_overrides) || '|' ||
      (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '') FROM price_discounts) || '|' ||
      (SELECT count(*) || ':' || coalesce(max(sha256), '') || ':' || coalesce(max(loaded_at)::text, '') FROM price_catalog_data) AS stamp`.execute(db);
  return row.rows[0]?.stamp ?? '';
}

export async function createLivePriceCatalog(deps: {
  db: Db;
  bus: Bus;
  onReloadError?: (error: unknown) => void;
  /**
   * Without a shared bus, another process writing the same database (`tally prices` beside a
   * server on PostgreSQL without Redis) announces nothing: the stored prices are then checked
   * this often (a cheap stamp, readPricesStamp) and reloaded when they changed.
   */
  pollEveryMs?: number;
}): Promise<LivePriceCatalog> {
  const { db, bus } = deps;
  let stamp = deps.pollEveryMs ? await readPricesStamp(db) : '';
  let inForce = await readPricesInForce(db);
  // Reloads run one after another, each reading the database afresh: the last one to finish saw
  // the latest change, whatever order the announcements arrived in.
  let queue: Promise<void> = Promise.resolve();
  const reload = () => {
    const next = queue.then(async () => {
      inForce = await readPricesInForce(db);
    });
    queue = next.catch(() => undefined);
    return next;
  };
  // A failed reload (the database unreachable for a moment) keeps the prices the node had.
  const reloadQuietly = () => void reload().catch((error: unknown) => deps.onReloadError?.(error));
  const unsubscribe = await bus.subscribe(channels.pricesChanged, reloadQuietly);
  const stopReconnect = bus.onReconnect(reloadQuietly);
  const poll = deps.pollEveryMs
    ? setInterval(() => {
        void readPricesStamp(db)
          .then((now) => {
            if (now === stamp) return;
            stamp = now;
            reloadQuietly();
          })
          .catch((error: unknown) => deps.onReloadError?.(error));
      }, deps.pollEveryMs)
    : undefined;
  poll?.unref();

  return {
    priceCall: (call) => inForce.catalog.priceCall(call),
    modelPrices: (model, provider, at) => inForce.catalog.modelPrices(model, provider, at),
    // The prices in force as data: a new object after each reload, so the OTLP reader thread is sent them again.
    pricingSnapshot: () => inForce.catalog.pricingSnapshot(),
    current: () => inForce,
    reload,
    async changed() {
      await reload();
      await bus.publish(channels.pricesChanged, 'changed').catch((error: unknown) => deps.onReloadError?.(error));
    },
    async close() {
      clearInterval(poll);
      stopReconnect();
      await unsubscribe();
    },
  };
}
