import { describe, expect, it } from 'vitest';
import { UsageRecordSchema, type UsageRecord } from '@tally/protocol';
import { createGenaiPriceCatalog } from '../../pricing/genai-price-catalog.js';
import { generateUsage } from './generate-usage.js';
import { measurePlantedInefficiencies, PLANTED_INEFFICIENCIES } from './planted-inefficiencies.js';
import { ACME_FEATURES } from './usage-scenario.js';

const end = new Date('2026-10-01T00:00:00Z');
const month = [...generateUsage({ seed: 42, end })];
const of = (project: string, feature: string) => month.filter((r) => r.project === project && r.feature === feature);

describe('generateUsage', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = [...generateUsage({ seed: 7, days: 3, end })];
    const b = [...generateUsage({ seed: 7, days: 3, end })];
    const c = [...generateUsage({ seed: 8, days: 3, end })];
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('makes a month of 40-80k valid records in time order inside the window, with unique ids', () => {
    expect(month.length).toBeGreaterThan(40_000);
    expect(month.length).toBeLessThan(80_000);
    const invalid = month.filter((r) => !UsageRecordSchema.safeParse(r).success);
    expect(invalid).toEqual([]);
    expect(month[0]!.ts >= '2026-09-01T00:00:00.000Z').toBe(true);
    expect(month[month.length - 1]!.ts < end.toISOString()).toBe(true);
    expect(month.every((r, i) => i === 0 || month[i - 1]!.ts <= r.ts)).toBe(true);
    expect(new Set(month.map((r) => r.id)).size).toBe(month.length);
  });

  it('uses only models the price catalog knows', () => {
    const catalog = createGenaiPriceCatalog();
    for (const f of ACME_FEATURES) expect(catalog.modelPrices(f.model, f.provider, end), f.model).not.toBeNull();
  });

  it('follows the working day and the week', () => {
    const chat = of('support', 'chatbot');
    const hour = (r: UsageRecord) => new Date(r.ts).getUTCHours();
    expect(chat.filter((r) => hour(r) === 10).length).toBeGreaterThan(5 * chat.filter((r) => hour(r) === 3).length);
    const weekdayOf = (r: UsageRecord) => new Date(r.ts).getUTCDay();
    // 2026-09-07 is a Monday, 2026-09-06 a Sunday.
    const onDay = (d: string) => chat.filter((r) => r.ts.startsWith(d)).length;
    expect(onDay('2026-09-07')).toBeGreaterThan(2 * onDay('2026-09-06'));
    expect(of('docs', 'nightly-summaries').every((r) => hour(r) >= 1 && hour(r) < 4)).toBe(true);
    expect(new Set(of('docs', 'nightly-summaries').map(weekdayOf)).size).toBe(7);
  });

  it('scales with requestsPerDay', () => {
    const small = [...generateUsage({ seed: 1, days: 7, end, requestsPerDay: 50 })];
    expect(small.length).toBeGreaterThan(150);
    expect(small.length).toBeLessThan(500);
  });

  it('plants each inefficiency', () => {
    // (a) classification on an expensive model: tiny outputs on gpt-4o.
    const tagging = of('ops', 'ticket-tagging');
    expect(tagging.every((r) => r.model === 'gpt-4o' && r.outputTokens <= 18)).toBe(true);
    // (b) one long prefix, never cached.
    const chat = of('support', 'chatbot');
    expect(new Set(chat.map((r) => r.promptPrefixHash))).toEqual(new Set(['5f1d7a0c9be24d31']));
    expect(chat.every((r) => r.prefixTokens === 3400 && r.cacheReadTokens === 0 && r.cacheWriteTokens === 0)).toBe(true);
    // ...while the code assistant caches its prefix properly.
    const code = of('dev', 'code-assistant');
    expect(code.filter((r) => r.cacheReadTokens > 0).length / code.length).toBeGreaterThan(0.8);
    // (c) non-interactive, not batched.
    expect(of('docs', 'nightly-summaries').every((r) => !r.interactive && !r.batch)).toBe(true);
    // (d) failures followed by retries of the same request.
    const rag = of('search', 'rag-answer');
    expect(rag.filter((r) => r.attempt === 2).length).toBeGreaterThan(0);
    expect(rag.filter((r) => r.attempt === 3).length).toBeGreaterThan(0);
    expect(rag.filter((r) => r.status === 'timeout').length).toBeGreaterThan(rag.filter((r) => r.status === 'error').length);
    expect(month.filter((r) => r.attempt > 1 && r.feature !== 'rag-answer')).toEqual([]);
    // (e) a limit far above any output.
    expect(code.every((r) => r.maxOutputTokens === 16_384 && r.outputTokens <= 1200)).toBe(true);
  });

  it('plants nothing in the clean dataset: prefixes cached, nightly work batched, no failures, limits sized', () => {
    const clean = [...generateUsage({ seed: 42, days: 3, end, clean: true })];
    expect(clean.length).toBeGreaterThan(3000);
    expect(clean.every((r) => r.status === 'ok' && r.attempt === 1)).toBe(true);
    expect(clean.filter((r) => !r.interactive).every((r) => r.batch)).toBe(true);
    expect(clean.filter((r) => r.promptPrefixHash).every((r) => r.cacheReadTokens + r.cacheWriteTokens === r.prefixTokens)).toBe(true);
    expect(clean.every((r) => (r.maxOutputTokens ?? 0) <= 2048)).toBe(true);
    const catalog = createGenaiPriceCatalog();
    for (const model of new Set(clean.map((r) => r.model))) expect(catalog.modelPrices(model, null, end), model).not.toBeNull();
  });

  it('describes exactly the features that carry a planted inefficiency', () => {
    const plantedFeatures = ACME_FEATURES.filter((f) => f.planted).map((f) => [f.planted, f.project, f.feature, f.model]);
    expect(plantedFeatures.sort()).toEqual(PLANTED_INEFFICIENCIES.map((p) => [p.id, p.project, p.feature, p.model]).sort());
  });

  it('measures each planted inefficiency at a positive size', () => {
    const sizes = measurePlantedInefficiencies(month, createGenaiPriceCatalog());
    expect(sizes.map((s) => s.id)).toEqual(PLANTED_INEFFICIENCIES.map((p) => p.id));
    const byId = Object.fromEntries(sizes.map((s) => [s.id, s]));
    // gpt-4.1-mini costs 16% of gpt-4o on both input and output.
    expect(byId['cheaper-model']!.savingUsd / byId['cheaper-model']!.spendUsd).toBeCloseTo(1 - 0.4 / 2.5, 9);
    expect(byId['batchable']!.savingUsd).toBeCloseTo(byId['batchable']!.spendUsd / 2, 9);
    // Claude Sonnet 4: a read saves $2.70/MTok of the $3 input price, a write costs $0.75/MTok more.
    const caching = byId['uncached-prefix']!;
    expect(caching.detail['cacheWrites']! + caching.detail['cacheReads']!).toBe(caching.records);
    expect(caching.savingUsd).toBeCloseTo((3400 * (caching.detail['cacheReads']! * 2.7 - caching.detail['cacheWrites']! * 0.75)) / 1e6, 9);
    expect(byId['retries']!.savingUsd).toBeGreaterThan(0);
    expect(byId['oversized-output-limit']!.detail['p99OutputTokens']).toBeLessThan(16_384 / 10);
  });
});
