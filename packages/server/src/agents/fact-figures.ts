import type { PlanStep, Recommendation } from '@tally/protocol';
import type { UsageAnalysis } from '../analysis/analyze-usage.js';
import type { FactFigure } from './number-check.js';

/**
 * Every money figure an answer's facts hold, with what it is (a spend, a saving, a price) and
 * whether it is per month or for the period, so the number check can tell a spend called a saving.
 */
export function factFigures(analysis: UsageAnalysis, plan: readonly PlanStep[]): FactFigure[] {
  const { breakdown, savings } = analysis;
  const out: FactFigure[] = [
    { value: breakdown.totals.costUsd, kind: 'spend', per: 'period' },
    { value: breakdown.totals.monthlyCostUsd, kind: 'spend', per: 'month' },
    ...[breakdown.byModel, breakdown.byProject, breakdown.byFeature, breakdown.byDay].flat().map((r) => ({ value: r.costUsd, kind: 'spend' as const, per: 'period' as const })),
    { value: savings.withoutModelChange.monthlySavingUsd, kind: 'saving', per: 'month' },
    { value: savings.modelSwitches.monthlySavingUsd, kind: 'saving', per: 'month' },
    { value: savings.combinedMonthlySavingUsd, kind: 'saving', per: 'month' },
    ...plan.map((s) => ({ value: s.projectedMonthlySavingUsd, kind: 'saving' as const, per: 'month' as const })),
  ];
  const byStrategy = new Map<string, number>();
  for (const rec of [...analysis.recommendations, ...analysis.findings]) {
    out.push({ value: rec.currentMonthlyCostUsd, kind: 'spend', per: 'month' });
    out.push({ value: rec.projectedMonthlySavingUsd, kind: 'saving', per: 'month' });
    byStrategy.set(rec.strategy, (byStrategy.get(rec.strategy) ?? 0) + rec.projectedMonthlySavingUsd);
    out.push(...rec.evidence.flatMap((e) => evidenceFigure(e)));
  }
  // A focused answer states a strategy's savings in all.
  for (const total of byStrategy.values()) out.push({ value: total, kind: 'saving', per: 'month' });
  return out;
}

function evidenceFigure(item: Recommendation['evidence'][number]): FactFigure[] {
  if (typeof item.value !== 'number') return [];
  const saving = /saving/i.test(item.label);
  switch (item.unit) {
    case 'USD':
      return [{ value: item.value, kind: saving ? 'saving' : 'spend', per: 'period' }];
    case 'USD/month':
      return [{ value: item.value, kind: saving ? 'saving' : 'spend', per: 'month' }];
    case 'USD/MTok':
      return [{ value: item.value, kind: 'price', per: null }];
    default:
      return [];
  }
}
