import crypto from 'node:crypto';
import { channels, type Bus } from '../bus/bus.js';
import { canonicalJson } from '../canonical-json.js';
import type { Db } from '../store/database.js';
import { loadCatalogData, type CatalogSource } from './catalog-data-store.js';
import { createGenaiPriceCatalog } from './genai-price-catalog.js';
import type { PriceCatalog } from './price-catalog.js';
import { catalogOptions, loadPriceSettings, type PriceSettings } from './price-settings.js';

/** The prices a node uses now: the admin's settings over the catalog data in force. */
export interface PricesInForce {
  settings: PriceSettings;
  source: CatalogSource;
  /** Identifies the prices: equal fingerprints price every record the same (re-pricing checks it). */
  fingerprint: string;
  catalog: PriceCatalog;
}

/**
 * The node's PriceCatalog, kept in step with the database: overrides, discounts and the loaded
 * catalog data are read at start, and again whenever any node announces a change on the bus
 * (and after a bus reconnect, when an announcement may have been lost). Ingests, analyses and
 * re-pricing each take the catalog in force when they price, so a change applies to every node
 * and run thread at once, without a restart.
 */
export interface LivePriceCatalog extends PriceCatalog {
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

export async function createLivePriceCatalog(deps: { db: Db; bus: Bus; onReloadError?: (error: unknown) => void }): Promise<LivePriceCatalog> {
  const { db, bus } = deps;
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

  return {
    priceCall: (call) => inForce.catalog.priceCall(call),
    modelPrices: (model, provider, at) => inForce.catalog.modelPrices(model, provider, at),
    current: () => inForce,
    reload,
    async changed() {
      await reload();
      await bus.publish(channels.pricesChanged, 'changed').catch((error: unknown) => deps.onReloadError?.(error));
    },
    async close() {
      stopReconnect();
      await unsubscribe();
    },
  };
}
