import { RecommendationSchema } from '@tally/protocol';
import { describe, expect, it } from 'vitest';
import { aggRow, strategyInput } from '../../../test/analysis/fixtures.js';
import { errorWaste } from './error-waste.js';

const base = { model: 'gpt-4o', project: 'app', feature: 'chat' } as const;
const rows = [
  aggRow({ ...base, day: '2025-03-01', requests: 900, retries: 30, costUsd: 90 }),
  aggRow({ ...base, day: '2025-03-05', status: 'error', requests: 60, costUsd: 2 }),
  aggRow({ ...base, day: '2025-03-10', status: 'timeout', requests: 40, costUsd: 8 }),
];

describe('errorWaste', () => {
  it('counts the whole cost of failed calls as the saving', () => {
    const [rec, ...rest] = errorWaste(strategyInput(rows));
    expect(rest).toEqual([]);
    RecommendationSchema.parse(rec);
    // $10 of failed calls in 10 days = $30 a month, out of $300.
    expect(rec).toMatchObject({
      id: 'error_waste:app/chat/gpt-4o',
      currentMonthlyCostUsd: 300,
      projectedMonthlySavingUsd: 30,
      confidence: 'medium',
      qualityRisk: 'none',
    });
    const evidence = Object.fromEntries(rec!.evidence.map((e) => [e.label, e.value]));
    expect(evidence).toMatchObject({ 'Failed requests': 100, Errors: 60, Timeouts: 40, Retries: 30, 'Failure rate': 0.1 });
  });

  it('makes nothing when failures cost nothing or too little', () => {
    expect(errorWaste(strategyInput(rows.map((r) => (r.status === 'ok' ? r : { ...r, costUsd: 0 }))))).toEqual([]);
    // $0.2 of failures = $0.6 a month.
    expect(errorWaste(strategyInput(rows.map((r) => (r.status === 'ok' ? r : { ...r, costUsd: 0.1 }))))).toEqual([]);
  });
});
