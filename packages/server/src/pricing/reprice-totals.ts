import { createExactSum } from './exact-sum.js';
import type { ChunkModelTotals } from './repricing-store.js';

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
  old: bigint;
  next: bigint;
  oldUnpriced: number;
  newUnpriced: number;
}

/** Picodollars per dollar: each cost enters the totals floored to a whole picodollar. */
const PICO = 1e12;

/** A cost in whole picodollars, floored, exactly as the stores compute `floor(cost * 1e12)`. */
export function picoUsd(cost: number): bigint {
  return BigInt(Math.floor(cost * PICO));
}

/**
 * Totals per model of a re-pricing, summed exactly as whole picodollars (each cost floored to
 * one): a preview and the application of it, over the same records and prices, report equal
 * totals whatever order and in whatever chunks the records were read, in the database or here.
 * A total is off the sum of the stored doubles by less than a picodollar a record.
 */
export function createRepriceTotals() {
  const byModel = new Map<string, Accumulator>();
  const of = (model: string): Accumulator => {
    let acc = byModel.get(model);
    if (!acc) byModel.set(model, (acc = { records: 0, changed: 0, old: 0n, next: 0n, oldUnpriced: 0, newUnpriced: 0 }));
    return acc;
  };
  return {
    add(model: string, oldCost: number | null, newCost: number | null): void {
      const acc = of(model);
      acc.records++;
      if (!Object.is(oldCost, newCost)) acc.changed++;
      if (oldCost === null) acc.oldUnpriced++;
      else acc.old += picoUsd(oldCost);
      if (newCost === null) acc.newUnpriced++;
      else acc.next += picoUsd(newCost);
    },
    /** A chunk's totals of one model, as a store computed them. */
    addChunk(totals: ChunkModelTotals): void {
      const acc = of(totals.model);
      acc.records += totals.records;
      acc.changed += totals.changed;
      acc.old += totals.oldPicoUsd;
      acc.next += totals.newPicoUsd;
      acc.oldUnpriced += totals.oldUnpriced;
      acc.newUnpriced += totals.newUnpriced;
    },
    /** Per model, in model order (by code unit, as the SQL store's COLLATE "C"). */
    result(): ModelRepriceTotals[] {
      return [...byModel.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([model, a]) => ({
          model,
          records: a.records,
          changedRecords: a.changed,
          oldCostUsd: Number(a.old) / PICO,
          newCostUsd: Number(a.next) / PICO,
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
