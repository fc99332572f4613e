import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeUsage, type UsageAnalysis } from '../../src/analysis/analyze-usage.js';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import { generateUsage } from '../../src/usage/demo/generate-usage.js';
import { measurePlantedInefficiencies, TAGGING_ALTERNATIVE_MODEL, type PlantedId } from '../../src/usage/demo/planted-inefficiencies.js';
import { createMemoryUsageStore } from '../support/memory-usage-store.js';
import { priced } from './supervisor-fixtures.js';

/**
 * The analysis over the product's own generated month (docs/USAGE-FORMAT.md): each of the five
 * planted inefficiencies is found, on its own traffic, with figures that agree with the
 * generator's own measure of it, priced by the real catalog (over several seeds and a clean
 * dataset: test/analysis/golden-datasets.test.ts).
 */
const prices = createGenaiPriceCatalog();
const DAYS = 7;
/**
 * Monthly figures scale from the hours between the first and last call (issue 15 item 4), not from
 * the 7 calendar days: the generated week's calls span a few minutes less than 7 x 24 h, so its
 * monthly factor is a little above 30/7. Worked out here from the records, independently.
 */
let monthly = 0;
let analysis: UsageAnalysis;
let planted: Map<PlantedId, number>;

beforeAll(async () => {
  const records = [...generateUsage({ seed: 42, days: DAYS, end: new Date('2026-10-01T00:00:00Z') })];
  const times = records.map((r) => Date.parse(r.ts));
  monthly = (30 * 24) / ((Math.max(...times) - Math.min(...times)) / 3_600_000);
  expect(monthly).toBeGreaterThan(30 / DAYS);
  expect(monthly).toBeLessThan((30 / DAYS) * 1.01);
  const store = createMemoryUsageStore();
  await store.insert('owner', records.map((r) => priced(prices, r)));
  analysis = analyzeUsage({
    rows: await store.aggregate('owner'),
    prefixStats: await store.prefixStats('owner'),
    outputStats: await store.outputStats('owner'),
    prices,
    at: new Date('2026-10-01T00:00:00Z'),
  });
  planted = new Map(measurePlantedInefficiencies(records, prices).map((p) => [p.id, p.savingUsd]));
});

const find = (strategy: string, project: string, feature: string) =>
  analysis.recommendations.find((r) => r.strategy === strategy && r.scope.startsWith(`project=${project} feature=${feature} `));

describe('planted inefficiencies', () => {
  it('batch API on the nightly summaries: exactly the batch discount', () => {
    expect(find('batch_api', 'docs', 'nightly-summaries')?.projectedMonthlySavingUsd).toBeCloseTo(planted.get('batchable')! * monthly, 4);
  });

  it('failed calls on rag-answer: exactly their cost', () => {
    expect(find('error_waste', 'search', 'rag-answer')?.projectedMonthlySavingUsd).toBeCloseTo(planted.get('retries')! * monthly, 4);
  });

  it('a cheaper model for ticket tagging: the planted target, at low quality risk, exactly its saving', () => {
    const rec = find('cheaper_model', 'ops', 'ticket-tagging');
    expect(rec?.qualityRisk).toBe('low');
    expect(rec?.title).toContain(`to ${TAGGING_ALTERNATIVE_MODEL}`);
    expect(rec!.projectedMonthlySavingUsd).toBeCloseTo(planted.get('cheaper-model')! * monthly, 4);
  });

  it('prompt caching of the chatbot prefix: exactly its reads minus its cold-start writes; the cached prefix is left alone', () => {
    const rec = find('prompt_caching', 'support', 'chatbot');
    expect(rec!.projectedMonthlySavingUsd).toBeCloseTo(planted.get('uncached-prefix')! * monthly, 4);
    expect(find('prompt_caching', 'dev', 'code-assistant')).toBeUndefined();
  });

  it('the oversized output limit of the code assistant, as a finding with no direct saving, not a recommendation', () => {
    expect(find('oversized_limits', 'dev', 'code-assistant')).toBeUndefined();
    const rec = analysis.findings.find((r) => r.strategy === 'oversized_limits' && r.scope.startsWith('project=dev feature=code-assistant '));
    expect(rec?.projectedMonthlySavingUsd).toBe(0);
    expect(rec?.rationale).toContain('saves no money directly');
  });
});
