import type { Recommendation } from '@tally/protocol';
import { formatInt, formatPct, formatUsd } from '../format.js';
import { ratio, roundUsd } from '../round.js';
import { sliceScope } from '../traffic-slices.js';
import { isMaterial, recommendationId, type StrategyInput } from './strategy.js';

/**
 * Spend on calls that failed (error or timeout): billed tokens that produced nothing usable, whose
 * work was then paid again by retries. The saving is the full cost of the failed calls: the most
 * that fixing the causes can save, stated as such.
 */
export function errorWaste(input: StrategyInput): Recommendation[] {
  const recs: Recommendation[] = [];
  for (const slice of input.slices) {
    if (slice.failedCostUsd <= 0) continue;
    const monthlySaving = slice.failedCostUsd * input.monthlyFactor;
    if (!isMaterial(monthlySaving, input.monthlySpendUsd)) continue;
    const errors = slice.failedRequests - slice.timeoutRequests;
    const mostlyTimeouts = slice.timeoutRequests > errors;
    recs.push({
      id: recommendationId('error_waste', slice.key),
      strategy: 'error_waste',
      title: `Stop paying for failed ${slice.project}/${slice.feature} calls on ${slice.model}`,
      scope: sliceScope(slice),
      rationale:
        `${formatInt(slice.failedRequests)} of ${formatInt(slice.requests)} requests (${formatPct(ratio(slice.failedRequests, slice.requests))}) ` +
        `failed (${formatInt(errors)} errors, ${formatInt(slice.timeoutRequests)} timeouts) after being billed ${formatUsd(slice.failedCostUsd)}, ` +
        `and ${formatInt(slice.retries)} retries paid for the work again. ` +
        (mostlyTimeouts
          ? 'Most are timeouts: give long generations a longer timeout or a lower output limit, and stream them.'
          : 'Check the error messages: invalid requests, context overflows and retries without backoff on 429 cost tokens for nothing.') +
        ' The saving is the whole cost of the failed calls, the most fixing them can save.',
      evidence: [
        { label: 'Failed requests', value: slice.failedRequests },
        { label: 'Errors', value: errors },
        { label: 'Timeouts', value: slice.timeoutRequests },
        { label: 'Retries', value: slice.retries },
        { label: 'Failure rate', value: ratio(slice.failedRequests, slice.requests), unit: 'ratio' },
        { label: 'Cost of failed requests in period', value: roundUsd(slice.failedCostUsd), unit: 'USD' },
      ],
      currentMonthlyCostUsd: roundUsd(slice.costUsd * input.monthlyFactor),
      projectedMonthlySavingUsd: roundUsd(monthlySaving),
      // Some failures are the provider's (overload, outages) and will happen whatever is fixed.
      confidence: 'medium',
      qualityRisk: 'none',
    });
  }
  return recs;
}
