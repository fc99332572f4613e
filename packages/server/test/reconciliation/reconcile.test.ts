import { describe, expect, it } from 'vitest';
import { buildUsageDashboard } from '../../src/analysis/usage-dashboard.js';
import { dashboardCostSources } from '../../src/reconciliation/dashboard-cost-sources.js';
import { reconcile } from '../../src/reconciliation/reconcile.js';
import { bucket, plantedBill, plantedLogs, row } from './planted-bill.js';

/** The planted differences of planted-bill.ts, each found to the cent by the pure reconciliation. */
describe('reconcile: planted differences', () => {
  const result = reconcile({ computed: plantedLogs(), billed: plantedBill(), from: '2026-11-01T00:00:00.000Z', to: '2026-11-06T00:00:00.000Z' });
  const openai = result.providers.find((p) => p.provider === 'openai')!;
  const anthropic = result.providers.find((p) => p.provider === 'anthropic')!;

  it('sums each provider to the cent: computed, billed, difference', () => {
    expect(result.hasBilling).toBe(true);
    expect([openai.computedUsd, openai.billedUsd, openai.differenceUsd, openai.differencePct]).toEqual([50, 57.33, 7.33, 14.66]);
    expect([anthropic.computedUsd, anthropic.billedUsd, anthropic.differenceUsd]).toEqual([60, 45, -15]);
    expect(openai.byModel).toBe(true);
    expect(anthropic.byModel).toBe(false);
    expect(openai.billedDays).toBe(5);
  });

  it('finds the 10 % discount across the comparable model-days', () => {
    const discount = result.causes.find((c) => c.kind === 'discount' && c.provider === 'openai');
    expect(discount).toEqual({ kind: 'discount', provider: 'openai', day: null, model: null, percent: 10, lines: 8, amountUsd: -5 });
    const line = result.lines.find((l) => l.provider === 'openai' && l.day === '2026-11-04' && l.model === 'gpt-4o-2024-08-06')!;
    // 24 hourly buckets of $0.375 and the three logged thirds of $10, matched across the snapshot suffix.
    expect([line.computedUsd, line.billedUsd, line.differenceUsd]).toEqual([10, 9, -1]);
    expect(line.causes).toEqual([{ kind: 'discount', provider: 'openai', day: '2026-11-04', model: 'gpt-4o-2024-08-06', percent: 10, lines: 8, amountUsd: -1 }]);
  });

  it('finds the unpriced model with the amount it was billed', () => {
    expect(result.causes.filter((c) => c.kind === 'unpriced_model')).toEqual([
      { kind: 'unpriced_model', provider: 'openai', day: '2026-11-02', model: 'gpt-new-preview', requests: 40, amountUsd: 3.33 },
    ]);
  });

  it('finds the day with missing logs, per model, with the bill\'s usage next to the logs', () => {
    expect(result.causes.filter((c) => c.kind === 'missing_logs')).toEqual([
      { kind: 'missing_logs', provider: 'openai', day: '2026-11-05', model: 'gpt-4o-2024-08-06', loggedRequests: 0, billedRequests: 240, loggedTokens: 0, billedTokens: 3600, amountUsd: 7.2 },
      { kind: 'missing_logs', provider: 'openai', day: '2026-11-05', model: 'gpt-4o-mini', loggedRequests: 0, billedRequests: null, loggedTokens: 0, billedTokens: null, amountUsd: 1.8 },
    ]);
    const day = result.days.find((d) => d.provider === 'openai' && d.day === '2026-11-05')!;
    expect([day.computedUsd, day.billedUsd, day.differenceUsd, day.differencePct]).toEqual([0, 9, 9, null]);
  });

  it('finds the credit line and the tokens mismatch of the bill without models', () => {
    expect(result.causes.filter((c) => c.kind === 'credit')).toEqual([{ kind: 'credit', provider: 'anthropic', day: '2026-11-02', lineItem: 'Promotional credit', amountUsd: -15 }]);
    expect(result.causes.filter((c) => c.kind === 'tokens_mismatch')).toEqual([
      { kind: 'tokens_mismatch', provider: 'anthropic', day: '2026-11-03', model: null, loggedTokens: 12_000, billedTokens: 14_400, differenceTokens: 2_400 },
    ]);
  });

  it('explains every cent of each difference by its causes', () => {
    expect(openai.explainedUsd).toEqual({ unpriced_model: 3.33, missing_logs: 9, credit: 0, discount: -5 });
    expect(Math.round((openai.explainedUsd.unpriced_model + openai.explainedUsd.missing_logs + openai.explainedUsd.discount) * 100) / 100).toBe(openai.differenceUsd);
    expect(anthropic.explainedUsd.credit).toBe(anthropic.differenceUsd);
  });
});

describe('reconcile: the source of totals', () => {
  const input = { computed: plantedLogs(), billed: plantedBill() };

  it('auto: the bill on its complete days (all but its last unless the connector says so), the logs elsewhere', () => {
    const byProvider = (r: ReturnType<typeof reconcile>) => Object.fromEntries(r.providers.map((p) => [p.provider, [p.totalUsd, p.fromBillingUsd, p.fromRequestsUsd, p.source]]));
    expect(byProvider(reconcile(input))).toEqual({ openai: [48.33, 48.33, 0, 'mixed'], anthropic: [45, 25, 20, 'mixed'] });
    const complete = reconcile({ ...input, completeThrough: { openai: new Date('2026-11-06T00:00:00Z'), anthropic: new Date('2026-11-03T12:00:00Z') } });
    expect(byProvider(complete)).toEqual({ openai: [57.33, 57.33, 0, 'billing'], anthropic: [45, 25, 20, 'mixed'] });
    expect(complete.days.filter((d) => d.provider === 'anthropic').map((d) => d.source)).toEqual(['billing', 'billing', 'requests']);
  });

  it('a stored choice: requests always, or the bill wherever it has figures; each day counted once', () => {
    const r = reconcile({ ...input, settings: { openai: 'requests', anthropic: 'billing' } });
    const totals = Object.fromEntries(r.providers.map((p) => [p.provider, [p.setting, p.totalUsd, p.source]]));
    expect(totals).toEqual({ openai: ['requests', 50, 'requests'], anthropic: ['billing', 45, 'billing'] });
    // Each provider's total is the sum of its days, each from one source.
    for (const p of r.providers) {
      const days = r.days.filter((d) => d.provider === p.provider);
      const counted = days.reduce((sum, d) => sum + Math.round((d.source === 'billing' ? d.billedUsd! : d.computedUsd) * 1e6), 0);
      expect(counted / 1e6).toBe(p.totalUsd);
    }
  });
});

describe('reconcile: edges', () => {
  it('without a bill: computed figures only, sources requests; unpriced requests still said', () => {
    const r = reconcile({ computed: plantedLogs(), billed: [] });
    expect(r.hasBilling).toBe(false);
    expect(r.providers.map((p) => [p.provider, p.computedUsd, p.billedUsd, p.source])).toEqual([
      ['anthropic', 60, null, 'requests'],
      ['openai', 50, null, 'requests'],
    ]);
    expect(r.causes).toEqual([{ kind: 'unpriced_model', provider: 'openai', day: '2026-11-02', model: 'gpt-new-preview', requests: 40, amountUsd: null }]);
  });

  it('leaves out records of providers with no bill (azure, unknown models)', () => {
    const r = reconcile({ computed: [row('2026-11-01', 'gpt-4o', 5, { provider: 'azure' }), row('2026-11-01', 'llama-3', 1)], billed: [] });
    expect(r.providers).toEqual([]);
  });

  it('counts a day fetched both hourly and daily once', () => {
    const daily = bucket('openai', 'cost', '2026-11-01T00:00:00Z', { costUsd: 12 });
    const hourly = bucket('openai', 'cost', '2026-11-01T05:00:00Z', { bucketWidth: '1h', costUsd: 12 });
    // Another grouping's hourly buckets still count.
    const other = bucket('openai', 'cost', '2026-11-01T06:00:00Z', { bucketWidth: '1h', lineItem: 'web search', costUsd: 0.5 });
    const r = reconcile({ computed: [row('2026-11-01', 'gpt-4o', 12)], billed: [daily, hourly, other] });
    expect([r.providers[0]!.billedUsd, r.providers[0]!.differenceUsd]).toEqual([12.5, 0.5]);
  });

  it('a day inside the billed span with no cost bucket was billed $0', () => {
    const r = reconcile({
      computed: [row('2026-11-02', 'gpt-4o', 4)],
      billed: [bucket('openai', 'cost', '2026-11-01T00:00:00Z', { costUsd: 1 }), bucket('openai', 'cost', '2026-11-03T00:00:00Z', { costUsd: 1 })],
    });
    const day = r.days.find((d) => d.day === '2026-11-02')!;
    expect([day.computedUsd, day.billedUsd, day.differenceUsd, day.differencePct]).toEqual([4, 0, -4, -100]);
  });

  it('no discount when the lines disagree in their ratio', () => {
    const r = reconcile({
      computed: [row('2026-11-01', 'gpt-4o', 10), row('2026-11-01', 'gpt-4o-mini', 10)],
      billed: [bucket('openai', 'cost', '2026-11-01T00:00:00Z', { model: 'gpt-4o', costUsd: 9 }), bucket('openai', 'cost', '2026-11-01T00:00:00Z', { model: 'gpt-4o-mini', costUsd: 7 })],
    });
    expect(r.causes).toEqual([]);
  });
});

describe('the dashboard total with its sources', () => {
  it('replaces the billed providers\' logs by their chosen totals and keeps the others\' records', () => {
    const rows = [...plantedLogs(), row('2026-11-01', 'gpt-4o', 7.77, { provider: 'azure' })];
    const sources = dashboardCostSources({ rows, billed: plantedBill(), settings: { anthropic: 'billing' }, completeThrough: {} });
    // Logs: openai 50 + anthropic 60 + azure 7.77; counted: openai auto 48.33, anthropic billing 45, azure 7.77.
    expect([sources.requestCostUsd, sources.costUsd]).toEqual([117.77, 101.1]);
    expect(sources.providers.map((p) => [p.provider, p.source, p.costUsd])).toEqual([
      ['anthropic', 'billing', 45],
      ['openai', 'mixed', 48.33],
    ]);
    const dashboard = buildUsageDashboard({ all: rows, overview: { records: 1, from: null, to: null, models: [] }, filters: {}, costSources: sources });
    expect([dashboard.totals.costUsd, dashboard.costSources?.requestCostUsd]).toEqual([101.1, 117.77]);
    // The breakdowns stay the records'.
    expect(dashboard.byModel.find((s) => s.key === 'claude-sonnet-4-20250514')?.costUsd).toBe(60);
  });
});

describe('OpenAI costs by line item', () => {
  it('reads the model from the line item ("gpt-4o-2024-08-06, input"); a line without one is its own line', () => {
    const start = '2026-11-01T00:00:00Z';
    const r = reconcile({
      computed: [row('2026-11-01', 'gpt-4o', 3, { provider: 'openai' }), row('2026-11-01', 'gpt-4o-mini', 1, { provider: 'openai' })],
      billed: [
        bucket('openai', 'cost', start, { lineItem: 'gpt-4o-2024-08-06, input', costUsd: 1 }),
        bucket('openai', 'cost', start, { lineItem: 'gpt-4o-2024-08-06, output', costUsd: 2 }),
        bucket('openai', 'cost', start, { lineItem: 'gpt-4o-mini-2024-07-18, cached input', costUsd: 1 }),
        bucket('openai', 'cost', start, { lineItem: 'web search tool calls', costUsd: 0.25 }),
      ],
    });
    expect(r.lines.map((l) => [l.model, l.computedUsd, l.billedUsd, l.differenceUsd])).toEqual([
      ['gpt-4o-2024-08-06', 3, 3, 0],
      ['gpt-4o-mini-2024-07-18', 1, 1, 0],
      [null, 0, 0.25, 0.25],
    ]);
  });
});

/** A connector's current day: the provider is still billing it, so it is shown but not compared. */
describe('reconcile: the partial current day', () => {
  // The connector's last complete fetch ends at 2026-11-05 00:00Z: 2026-11-05 is today, billed so far.
  const result = reconcile({ computed: plantedLogs(), billed: plantedBill(), completeThrough: { openai: new Date('2026-11-05T00:00:00Z'), anthropic: new Date('2026-11-05T00:00:00Z') } });
  const openai = result.providers.find((p) => p.provider === 'openai')!;

  it('leaves today out of the comparison and gives it no cause; its day and lines say partial', () => {
    expect([openai.computedUsd, openai.billedUsd, openai.differenceUsd, openai.billedDays]).toEqual([50, 48.33, -1.67, 4]);
    expect(result.causes.filter((c) => c.kind === 'missing_logs')).toEqual([]);
    expect(result.days.find((d) => d.provider === 'openai' && d.day === '2026-11-05')).toMatchObject({ billedUsd: 9, computedUsd: 0, source: 'requests', partial: true });
    expect(result.lines.filter((l) => l.day === '2026-11-05').map((l) => [l.partial, l.causes])).toEqual([
      [true, []],
      [true, []],
    ]);
    expect(result.days.filter((d) => d.day !== '2026-11-05').every((d) => d.partial === undefined)).toBe(true);
  });

  it('without a connection row (completeness unknown) the last day is still compared', () => {
    const unknown = reconcile({ computed: plantedLogs(), billed: plantedBill() });
    expect(unknown.days.some((d) => d.partial)).toBe(false);
    expect(unknown.providers.find((p) => p.provider === 'openai')!.billedDays).toBe(5);
  });
});
