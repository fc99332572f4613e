import type { CatalogSource, PriceListEntry } from '@tally/protocol';

/** Where a model's price comes from, in words: the catalog and its version, an override, a discount. */
export function priceSource(entry: PriceListEntry, catalog: CatalogSource): string {
  if (entry.source === 'override') return 'Admin override';
  if (entry.source === 'unknown') return 'Not priced: in neither the catalog nor the overrides';
  const from = catalog.kind === 'loaded' ? `Catalog data ${catalog.version} (loaded)` : `Catalog ${catalog.version}`;
  return entry.discountPercent > 0 ? `${from}, ${entry.discountPercent}% negotiated discount` : from;
}

/** USD per million tokens; a dash where the model has no such price. */
export function perMTok(value: number | null): string {
  if (value === null) return '—';
  // Up to 6 decimals (prices like $0.075), without trailing zeros.
  return `$${Number(value.toFixed(6))}`;
}

/** The catalog in use, in one line. */
export function catalogLine(catalog: CatalogSource): string {
  if (catalog.kind === 'bundled') return `Prices from the ${catalog.version} catalog bundled with Tally.`;
  return `Prices from the genai-prices data ${catalog.version}, loaded ${catalog.loadedAt?.slice(0, 10) ?? ''} by an admin.`;
}
