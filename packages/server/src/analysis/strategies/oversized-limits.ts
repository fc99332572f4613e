import type { Recommendation } from '@tally/protocol';
import { formatInt, formatUsd } from '../format.js';
import { roundUsd } from '../round.js';
import { sliceKey, sliceScope } from '../traffic-slices.js';
import { isMaterial, recommendationId, type StrategyInput } from './strategy.js';

/** A limit at least this many times the p99 output is oversized. */
export const OVERSIZE_FACTOR = 4;
/** Share of requests above the p99, by definition of the p99. */
const TAIL_SHARE = 0.01;
/** Fewer limited requests than this say too little about the output distribution. */
export const MIN_LIMITED_REQUESTS = 100;

/**
 * Output limits far above what the traffic needs. Providers bill the tokens generated, not the
 * limit, so a lower limit saves only what runaway generations (loops, rambling) spend beyond it;
 * the figure is an upper bound: every request above the p99 assumed to run to the longest output
 * seen. Its other gains (rate-limit headroom: some providers count the limit against tokens per
 * minute; bounded latency) are real but not money, and are said so, not priced. Unlike the other
 * strategies it is reported even when that bound is under the money threshold (often $0), labelled
 * as such, because the finding is the oversized limit, not a saving.
 */
export function oversizedLimits(input: StrategyInput): Recommendation[] {
  const recs: Recommendation[] = [];
  for (const row of input.outputStats) {
    if (row.limitedRequests < MIN_LIMITED_REQUESTS || row.p99OutputTokens <= 0) continue;
    const proposedLimit = proposedOutputLimit(row.p99OutputTokens);
    if (row.meanMaxOutputTokens < OVERSIZE_FACTOR * row.p99OutputTokens || row.meanMaxOutputTokens <= proposedLimit) continue;
    const prices = input.prices.modelPrices(row.model, row.provider, input.at);
    if (!prices) continue;
    const tailRequests = row.limitedRequests * TAIL_SHARE;
    const excessTokens = Math.max(0, row.maxOutputTokensSeen - proposedLimit);
    const periodSaving = (tailRequests * excessTokens * prices.outputPerMTok) / 1e6;
    const monthlySaving = periodSaving * input.monthlyFactor;
    const material = isMaterial(monthlySaving, input.monthlySpendUsd);
    const key = sliceKey(row.model, row.project, row.feature);
    const slice = input.slices.find((s) => s.key === key);
    recs.push({
      id: recommendationId('oversized_limits', key),
      strategy: 'oversized_limits',
      title: `Lower the output limit of ${row.project}/${row.feature} on ${row.model} to ${formatInt(proposedLimit)} tokens`,
      scope: sliceScope(row),
      rationale:
        `Requests allow ${formatInt(row.meanMaxOutputTokens)} output tokens on average, but 99% of answers use at most ` +
        `${formatInt(row.p99OutputTokens)} (median ${formatInt(row.p50OutputTokens)}) and the longest used ` +
        `${formatInt(row.maxOutputTokensSeen)}. Output is billed by tokens generated, not by the limit, so a limit of ` +
        `${formatInt(proposedLimit)} (twice the p99) ` +
        (periodSaving > 0
          ? `only saves what the longest 1% spend beyond it: at most ${formatUsd(periodSaving)} in the period` +
            (material ? '' : ', too little to count as a saving')
          : 'saves no money directly: no answer ran past it') +
        `. What it does give: rate-limit headroom (some providers count the limit against tokens per minute), ` +
        `bounded latency and a cap on runaway generations; the rare answer that needs more would be cut, so check those first.`,
      evidence: [
        { label: 'Requests with a limit', value: row.limitedRequests },
        { label: 'Mean output limit', value: Math.round(row.meanMaxOutputTokens), unit: 'tokens' },
        { label: 'Median output', value: Math.round(row.p50OutputTokens), unit: 'tokens' },
        { label: 'p99 output', value: Math.round(row.p99OutputTokens), unit: 'tokens' },
        { label: 'Longest output', value: row.maxOutputTokensSeen, unit: 'tokens' },
        { label: 'Proposed limit', value: proposedLimit, unit: 'tokens' },
        { label: 'Output price', value: prices.outputPerMTok, unit: 'USD/MTok' },
        { label: 'Unused allowance per request at the median', value: Math.round(row.meanMaxOutputTokens - row.p50OutputTokens), unit: 'tokens' },
        { label: 'Upper bound of saving in period', value: roundUsd(periodSaving), unit: 'USD' },
      ],
      currentMonthlyCostUsd: roundUsd((slice?.costUsd ?? 0) * input.monthlyFactor),
      projectedMonthlySavingUsd: material ? roundUsd(monthlySaving) : 0,
      confidence: 'low',
      qualityRisk: 'low',
    });
  }
  return recs;
}

/** Twice the p99, rounded up to a multiple of 256 tokens. */
export function proposedOutputLimit(p99OutputTokens: number): number {
  return Math.max(256, Math.ceil((2 * p99OutputTokens) / 256) * 256);
}
