import { describe, expect, it } from 'vitest';
import type { CatalogSource, PriceListEntry } from '@tally/protocol';
import { catalogLine, perMTok, priceSource } from './price-source.js';

const bundled: CatalogSource = { kind: 'bundled', version: '@pydantic/genai-prices 0.1.8', sha256: null, loadedAt: null, loadedBy: null, providers: null, models: null };
const entry = (over: Partial<PriceListEntry>): PriceListEntry => ({
  model: 'gpt-4o', catalogModel: 'gpt-4o', provider: 'openai', source: 'catalog', discountPercent: 0,
  inputPerMTok: 2.5, outputPerMTok: 10, cacheReadPerMTok: 1.25, cacheWritePerMTok: 2.5, cacheWrite1hPerMTok: 2.5, ...over,
});

describe('price source', () => {
  it('names the catalog version, the discount, an override or no price', () => {
    expect(priceSource(entry({}), bundled)).toBe('Catalog @pydantic/genai-prices 0.1.8');
    expect(priceSource(entry({ discountPercent: 10 }), { ...bundled, kind: 'loaded', version: 'v2' })).toBe('Catalog data v2 (loaded), 10% negotiated discount');
    expect(priceSource(entry({ source: 'override' }), bundled)).toBe('Admin override');
    expect(priceSource(entry({ source: 'unknown' }), bundled)).toContain('Not priced');
  });

  it('writes prices per million tokens', () => {
    expect(perMTok(2.25)).toBe('$2.25');
    expect(perMTok(0.075)).toBe('$0.075');
    expect(perMTok(null)).toBe('—');
    expect(catalogLine(bundled)).toContain('bundled');
  });
});
