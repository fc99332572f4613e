import type { Db } from '../store/database.js';
import { BUNDLED_CATALOG_VERSION, parseCatalogData, type CatalogData } from './catalog-data.js';

/** Which catalog data the nodes price with: the bundled package's, or a file an admin loaded. */
export interface CatalogSource {
  kind: 'bundled' | 'loaded';
  version: string;
  /** For a loaded file: its sha256, when and by whom it was loaded. */
  sha256: string | null;
  loadedAt: string | null;
  loadedBy: string | null;
  providers: number | null;
  models: number | null;
}

export const BUNDLED_SOURCE: CatalogSource = { kind: 'bundled', version: BUNDLED_CATALOG_VERSION, sha256: null, loadedAt: null, loadedBy: null, providers: null, models: null };

/**
 * The loaded data file, if any, with its source. The text stored was checked when it was loaded;
 * it is parsed (and checked) again here, so a row edited by hand cannot make a node price with
 * data the library refuses: it throws instead, and the node keeps the prices it had.
 */
export async function loadCatalogData(db: Db): Promise<{ data: CatalogData | null; source: CatalogSource }> {
  const row = await db.selectFrom('price_catalog_data').selectAll().where('id', '=', 1).executeTakeFirst();
  if (!row) return { data: null, source: BUNDLED_SOURCE };
  const data = parseCatalogData(row.data, row.version);
  return {
    data,
    source: {
      kind: 'loaded',
      version: row.version,
      sha256: row.sha256,
      loadedAt: new Date(row.loaded_at).toISOString(),
      loadedBy: row.loaded_by,
      providers: row.providers,
      models: row.models,
    },
  };
}

/** Stores a checked data file as the one every node prices with (replacing any loaded before). */
export async function saveCatalogData(db: Db, data: CatalogData, loadedBy: string | null): Promise<void> {
  const values = { version: data.version, sha256: data.sha256, data: data.text, providers: data.providers.length, models: data.modelCount, loaded_by: loadedBy, loaded_at: new Date() };
  await db
    .insertInto('price_catalog_data')
    .values({ id: 1, ...values })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
}

/** Back to the bundled data; true when a loaded file was removed. */
export async function clearCatalogData(db: Db): Promise<boolean> {
  const result = await db.deleteFrom('price_catalog_data').where('id', '=', 1).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
