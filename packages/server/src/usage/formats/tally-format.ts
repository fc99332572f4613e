import { asObject } from './field-readers.js';
import { checkedItem, type MappedItem, type UsageFormat } from './usage-format.js';

/** Keys that only Tally's own records use (camelCase token buckets). */
const TALLY_KEYS = ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'cacheWrite1hTokens'] as const;

/**
 * Tally's own NDJSON (docs/USAGE-FORMAT.md): each value already is a record, checked against the
 * schema as is. It is also the fallback when nothing else is recognised, so its errors (a field
 * path and what is wrong) are what an unrecognised line gets.
 */
export const tallyFormat: UsageFormat = {
  name: 'tally',
  title: "Tally's own NDJSON (docs/USAGE-FORMAT.md)",
  framings: ['json'],
  detect(sample) {
    let best = 0;
    for (const value of sample.values) {
      const o = asObject(value);
      if (!o) continue;
      const tallyKeys = TALLY_KEYS.filter((k) => k in o).length;
      if (tallyKeys >= 2 && 'model' in o && 'ts' in o) return 0.9;
      if (tallyKeys >= 1) best = Math.max(best, 0.6);
    }
    return best;
  },
  createMapper() {
    return {
      map(unit, lineNumber): readonly MappedItem[] {
        return [checkedItem(lineNumber, unit)];
      },
      flush: () => [],
    };
  },
};
