import { generateUsage } from '../../src/usage/demo/generate-usage.js';

/** A user's usage file: the product's own generator, small enough for many users per test. */
export function usageNdjson(options: { seed: number; days?: number; requestsPerDay?: number; end?: Date }): string {
  const records = generateUsage({
    seed: options.seed,
    days: options.days ?? 7,
    end: options.end ?? new Date('2026-11-01T00:00:00Z'),
    ...(options.requestsPerDay ? { requestsPerDay: options.requestsPerDay } : {}),
  });
  let out = '';
  for (const record of records) out += JSON.stringify(record) + '\n';
  return out;
}
