import { afterAll, describe, expect, it } from 'vitest';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import { USAGE_FORMAT_NAMES, type UsageFormatName } from '../../src/usage/formats/usage-format.js';
import { createUsageIngester } from '../../src/usage/ingest/ingest-usage.js';
import { generateFormatLines } from '../support/format-line-generators.js';
import { createSummingUsageStore } from '../support/summing-usage-store.js';

/**
 * Volume: a generated file per format, made on the fly, streamed through the real ingester (real
 * price catalog) into a store that only sums. The sums must equal the generator's own, and the
 * heap must stay bounded whatever the line count. 100,000 lines per format by default; the
 * million-line run is `npm run bench:formats` (TALLY_FORMATS_LINES=1000000), which takes minutes
 * on two cores because pricing every call dominates.
 */
const LINES = Number(process.env['TALLY_FORMATS_LINES'] ?? 100_000);
/** Generous: the ingester holds one batch, one sample and one unit; a leak of the input would pass it at 1M lines. */
const HEAP_GROWTH_LIMIT = 160 * 1024 * 1024;
const prices = createGenaiPriceCatalog();
const rates: string[] = [];

describe(`every format at ${LINES.toLocaleString('en')} lines, streamed`, () => {
  afterAll(() => {
    // The figures for docs/BENCHMARKS.md and the report.
    console.log(`\nformats volume (${LINES} lines each):\n${rates.join('\n')}`);
  });

  it.each(USAGE_FORMAT_NAMES.map((format) => [format]))(
    '%s: totals equal the generator\'s, memory stays bounded',
    async (format: UsageFormatName) => {
      const store = createSummingUsageStore();
      const ingester = createUsageIngester({ store, prices });
      const file = generateFormatLines(format, LINES);
      const heapBefore = process.memoryUsage().heapUsed;
      let heapMax = heapBefore;
      const started = performance.now();
      const summary = await ingester.ingest('owner', file.chunks, {
        onProgress: () => (heapMax = Math.max(heapMax, process.memoryUsage().heapUsed)),
      });
      const seconds = (performance.now() - started) / 1000;
      rates.push(`  ${format.padEnd(12)} ${Math.round(LINES / seconds).toLocaleString('en').padStart(9)} lines/s  ${Math.round(summary.inserted / seconds).toLocaleString('en').padStart(9)} records/s  (${seconds.toFixed(1)} s, heap +${Math.round((heapMax - heapBefore) / 2 ** 20)} MiB max)`);

      const t = file.totals;
      expect(t.lines).toBe(LINES);
      expect(summary).toMatchObject({ inserted: t.records, duplicates: 0, rejected: 0, errors: [], unpricedModels: [] });
      expect(store.sums).toMatchObject({
        records: t.records,
        inputTokens: t.inputTokens,
        cacheReadTokens: t.cacheReadTokens,
        cacheWriteTokens: t.cacheWriteTokens,
        outputTokens: t.outputTokens,
        reasoningTokens: t.reasoningTokens,
        unpriced: 0,
      });
      expect(store.sums.costUsd).toBeGreaterThan(0);
      expect(heapMax - heapBefore).toBeLessThan(HEAP_GROWTH_LIMIT);
    },
    // Generous: a shared two-core machine under load reads CSV at about 4,000 rows/s.
    Math.max(60_000, LINES / 2),
  );
});
