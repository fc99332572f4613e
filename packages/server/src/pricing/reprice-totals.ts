import { createExactSum, type ExactSum } from './exact-sum.js';

/** Old and new totals of one model's records, as a re-pricing preview and its application report them. */
export interface ModelRepriceTotals {
  model: string;
  records: number;
  changedRecords: number;
  oldCostUsd: number;
  newCostUsd: number;
  /** Records no price was found for (their cost is null), before and after. */
  oldUnpriced: number;
  newUnpriced: number;
}

interface Accumulator {
  records: number;
  changed: number;
  old: ExactSum;
  next: ExactSum;
  oldUnpriced: number;
  newUnpriced: number;
}

/**
 * Totals per model of a re-pricing, summed exactly (exact-sum.ts): a preview and the application
 * of it, over the same records and prices, report equal totals whatever order they read in.
 */
export function createRepriceTotals() {
  const byModel = new Map<string, Accumulator>();
  return {
    add(model: string, oldCost: number | null, newCost: number | null): void {
      let acc = byModel.get(model);
      if (!acc) byModel.set(model, (acc = { records: 0, changed: 0, old: createExactSum(), next: createExactSum(), oldUnpriced: 0, newUnpriced: 0 }));
      acc.records++;
      if (!Object.is(oldCost, newCost)) acc.changed++;
      if (oldCost === null) acc.oldUnpriced++;
      else acc.old.add(oldCost);
      if (newCost === null) acc.newUnpriced++;
      else acc.next.add(newCost);
    },
    /** Per model, in model order (by code unit, as the SQL store's COLLATE "C"). */
    result(): ModelRepriceTotals[] {
      return [...byModel.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([model, a]) => ({
          model,
          records: a.records,
          changedRecords: a.changed,
          oldCostUsd: a.old.value(),
          newCostUsd: a.next.value(),
          oldUnpriced: a.oldUnpriced,
          newUnpriced: a.newUnpriced,
        }));
    },
  };
}

/** The grand totals over models, summed exactly too. */
export function grandTotals(models: readonly ModelRepriceTotals[]): { oldCostUsd: number; newCostUsd: number } {
  const old = createExactSum();
  const next = createExactSum();
  for (const m of models) {
    old.add(m.oldCostUsd);
    next.add(m.newCostUsd);
  }
  return { oldCostUsd: old.value(), newCostUsd: next.value() };
}
