import type { ReconciliationCause } from '@tally/protocol';
import type { ReconciliationCell } from './reconciliation-cells.js';
import { usdOfMicros } from './usd-micros.js';

export interface CauseThresholds {
  /** Logs below this share of the bill's requests or tokens: logs are missing. */
  missingLogsShare: number;
  /** Logged and billed tokens further apart than this share of the larger: a tokens mismatch. */
  tokensTolerance: number;
}

export const DEFAULT_CAUSE_THRESHOLDS: CauseThresholds = { missingLogsShare: 0.5, tokensTolerance: 0.02 };

/** Cost lines that are credits whatever their sign (the providers name them so), or any negative amount. */
const CREDIT_LINE = /credit|discount|promo|refund|adjust|grant/i;

/** The credit lines of a cell, and their sum in micro-dollars. */
export function creditsOf(cell: ReconciliationCell): { causes: ReconciliationCause[]; micros: number } {
  const byItem = new Map<string, number>();
  for (const line of cell.costLines) {
    if (line.micros < 0 || CREDIT_LINE.test(line.lineItem)) byItem.set(line.lineItem, (byItem.get(line.lineItem) ?? 0) + line.micros);
  }
  let micros = 0;
  const causes: ReconciliationCause[] = [];
  for (const [lineItem, amount] of byItem) {
    if (amount === 0) continue;
    micros += amount;
    causes.push({ kind: 'credit', provider: cell.provider, day: cell.day, lineItem: lineItem || 'credit', amountUsd: usdOfMicros(amount) });
  }
  return { causes, micros };
}

/**
 * The causes one cell shows by itself (a discount is seen only across cells: discount-cause.ts).
 * In order, each taking the part of the difference it explains: credits; no logs at all for a
 * billed cell; unpriced requests (the rest of a positive difference, since their cost is in the
 * bill but not in the computed figure); logs far below the bill's usage; and, as a figure only,
 * token counts that disagree. Pure.
 */
export function causesOfCell(cell: ReconciliationCell, thresholds: CauseThresholds = DEFAULT_CAUSE_THRESHOLDS): ReconciliationCause[] {
  const { provider, day } = cell;
  const credits = creditsOf(cell);
  const causes = [...credits.causes];
  // The difference the credits leave; positive: billed more than computed.
  const rest = cell.billedMicros === null ? null : cell.billedMicros - credits.micros - cell.computedMicros;
  const restPositive = rest !== null && rest > 0 ? rest : 0;
  // The bill's lines without a model (web search, fine-tuning hours...) have no logged requests by nature.
  const otherLines = cell.byModel && cell.model === null;

  const missing = (amountMicros: number): ReconciliationCause => ({
    kind: 'missing_logs',
    provider,
    day,
    model: cell.model,
    loggedRequests: cell.loggedRequests,
    billedRequests: cell.billedRequests,
    loggedTokens: cell.loggedTokens,
    billedTokens: cell.billedTokens,
    amountUsd: usdOfMicros(amountMicros),
  });

  if (!otherLines && cell.loggedRequests === 0 && restPositive > 0) return [...causes, missing(restPositive)];
  if (cell.unpricedRequests > 0) {
    const models = [...cell.unpricedModels.entries()].sort((a, b) => a[0].localeCompare(b[0]));
    for (const [model, requests] of models) {
      // Several unpriced models on one provider-day share one difference: it is not theirs to split.
      causes.push({ kind: 'unpriced_model', provider, day, model, requests, amountUsd: models.length === 1 && restPositive > 0 ? usdOfMicros(restPositive) : null });
    }
    return causes;
  }
  const fewRequests = cell.billedRequests !== null && cell.loggedRequests < thresholds.missingLogsShare * cell.billedRequests;
  const fewTokens = cell.billedTokens !== null && cell.billedTokens > 0 && cell.loggedTokens < thresholds.missingLogsShare * cell.billedTokens;
  if (!otherLines && (fewRequests || fewTokens)) return [...causes, missing(restPositive)];
  if (cell.billedTokens !== null && cell.loggedRequests > 0) {
    const difference = cell.billedTokens - cell.loggedTokens;
    if (Math.abs(difference) > thresholds.tokensTolerance * Math.max(cell.billedTokens, cell.loggedTokens)) {
      causes.push({ kind: 'tokens_mismatch', provider, day, model: cell.model, loggedTokens: cell.loggedTokens, billedTokens: cell.billedTokens, differenceTokens: difference });
    }
  }
  return causes;
}
