import type { ReconciliationCause } from '@tally/protocol';
import type { ReconciliationCell } from './reconciliation-cells.js';
import { percentOf, usdOfMicros } from './usd-micros.js';

/** A line's bill may be off the common ratio by this share of its computed cost, or a cent (bills are rounded to cents). */
const RATIO_SLACK = 0.002;
const CENT_MICROS = 10_000;
/** Ratios this close to 1 are agreement, not a discount. */
const MIN_DISCOUNT = 0.005;

/**
 * A discount (or surcharge) the bill applies evenly: across at least two comparable lines of a
 * provider (billed, computed above 0, no other cause), the bill net of credits is the same
 * fraction of the computed cost. Returns a cause per line (its own amount) and the provider's
 * summary (the amounts summed), or nothing. Pure.
 */
export function discountCauses(
  provider: string,
  lines: ReadonlyArray<{ cell: ReconciliationCell; creditMicros: number; causes: readonly ReconciliationCause[] }>,
): { perLine: Map<ReconciliationCell, ReconciliationCause>; summary: ReconciliationCause } | null {
  const comparable = lines.filter(
    ({ cell, creditMicros, causes }) =>
      cell.billedMicros !== null &&
      cell.computedMicros > 0 &&
      cell.billedMicros - creditMicros > 0 &&
      causes.every((c) => c.kind === 'credit' || c.kind === 'tokens_mismatch'),
  );
  if (comparable.length < 2) return null;
  const net = (l: (typeof comparable)[number]) => l.cell.billedMicros! - l.creditMicros;
  const billed = comparable.reduce((sum, l) => sum + net(l), 0);
  const computed = comparable.reduce((sum, l) => sum + l.cell.computedMicros, 0);
  const ratio = billed / computed;
  if (Math.abs(1 - ratio) < MIN_DISCOUNT) return null;
  const even = comparable.every((l) => Math.abs(net(l) - ratio * l.cell.computedMicros) <= Math.max(RATIO_SLACK * l.cell.computedMicros, CENT_MICROS));
  if (!even) return null;
  const percent = percentOf(computed - billed, computed)!;
  const perLine = new Map<ReconciliationCell, ReconciliationCause>();
  for (const l of comparable) {
    perLine.set(l.cell, { kind: 'discount', provider, day: l.cell.day, model: l.cell.model, percent, lines: comparable.length, amountUsd: usdOfMicros(net(l) - l.cell.computedMicros) });
  }
  return { perLine, summary: { kind: 'discount', provider, day: null, model: null, percent, lines: comparable.length, amountUsd: usdOfMicros(billed - computed) } };
}
