import { waitForUpdate, type Provider } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { createGenaiPriceCatalog } from './genai-price-catalog.js';

/**
 * A loaded data file prices exactly as the bundled data when it is the same data (every model
 * the bundled catalog prices, by id alone and with its provider), and prices from the file alone
 * when it differs: a provider label, a provider_match and fallback providers resolve inside it.
 */
describe('catalog data lookup', () => {
  it('prices the bundled data, loaded as a file, exactly as the bundled catalog', async () => {
    const data = structuredClone((await waitForUpdate())!);
    const bundled = createGenaiPriceCatalog();
    const loaded = createGenaiPriceCatalog({ providers: data });
    const at = new Date('2026-11-15T12:00:00Z');
    let compared = 0;
    for (const provider of data) {
      for (const model of provider.models) {
        for (const label of [null, provider.id]) {
          const call = { model: model.id, provider: label, at, inputTokens: 12_345, cacheReadTokens: 2_000, cacheWriteTokens: 300, cacheWrite1hTokens: 40, outputTokens: 678, batch: false };
          expect(loaded.priceCall(call), `${provider.id}/${model.id} as ${label}`).toBe(bundled.priceCall(call));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('resolves labels, provider_match and fallback providers inside the file only', () => {
    const data: Provider[] = [
      { id: 'acme', name: 'Acme', api_pattern: '$^', provider_match: { contains: 'acme' }, model_match: { starts_with: 'acme-' }, fallback_model_providers: ['base'], models: [{ id: 'acme-1', match: { equals: 'acme-1' }, prices: { input_mtok: 1, output_mtok: 2 } }] },
      { id: 'base', name: 'Base', api_pattern: '$^', models: [{ id: 'base-x', match: { starts_with: 'base-x' }, prices: { input_mtok: 10, output_mtok: 20 } }] },
    ];
    const catalog = createGenaiPriceCatalog({ providers: data });
    const call = (model: string, provider: string | null) => catalog.priceCall({ model, provider, at: new Date(), inputTokens: 1_000_000, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, batch: false });
    expect(call('acme-1', null)).toBe(1);
    expect(call('acme-1', 'my-acme-gateway')).toBe(1);
    expect(call('base-x-large', 'acme')).toBe(10);
    expect(call('base-x-large', null)).toBeNull();
    // Not in the file: the bundled catalog is not consulted.
    expect(call('gpt-4o', 'openai')).toBeNull();
  });
});
