import type { Recommendation } from '@tally/protocol';
import { formatInt, formatPct, formatUsd } from '../format.js';
import { findModelTier } from '../model-tiers.js';
import { ratio, roundUsd } from '../round.js';
import { sliceScope } from '../traffic-slices.js';
import { isMaterial, recommendationId, volumeConfidence, type StrategyInput } from './strategy.js';

/**
 * Providers with a batch API and its published discount on both input and output (OpenAI Batch,
 * Azure OpenAI Global Batch, Anthropic Message Batches, Gemini Batch Mode, Mistral Batch: all 50%,
 * results within 24 hours). A provider not listed (a self-hosted endpoint) gets no recommendation,
 * since there is no batch price to move to.
 */
export const BATCH_DISCOUNTS: Readonly<Record<string, number>> = {
  openai: 0.5,
  azure: 0.5,
  anthropic: 0.5,
  google: 0.5,
  'google-vertex': 0.5,
  'google-gla': 0.5,
  mistral: 0.5,
};

const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  openai: 'OpenAI',
  azure: 'Azure OpenAI',
  anthropic: 'Anthropic',
  google: 'Gemini',
  'google-vertex': 'Vertex AI',
  'google-gla': 'Gemini',
  mistral: 'Mistral',
};

/** Batch APIs for traffic nobody waits on (interactive=false) that is not batched yet. */
export function batchApi(input: StrategyInput): Recommendation[] {
  const recs: Recommendation[] = [];
  for (const slice of input.slices) {
    if (slice.batchableCostUsd <= 0) continue;
    const provider = (
      slice.provider ??
      input.prices.modelPrices(slice.model, null, input.at)?.provider ??
      findModelTier(slice.model)?.provider ??
      ''
    ).toLowerCase();
    const discount = BATCH_DISCOUNTS[provider];
    if (discount === undefined) continue;
    const monthlySaving = slice.batchableCostUsd * discount * input.monthlyFactor;
    if (!isMaterial(monthlySaving, input.monthlySpendUsd)) continue;
    recs.push({
      id: recommendationId('batch_api', slice.key),
      strategy: 'batch_api',
      title: `Send the non-interactive ${slice.project}/${slice.feature} calls on ${slice.model} through the ${PROVIDER_NAMES[provider] ?? provider} batch API`,
      scope: sliceScope(slice),
      rationale:
        `${formatInt(slice.batchableRequests)} requests (${formatPct(ratio(slice.batchableRequests, slice.requests))} of this traffic) ` +
        `are marked non-interactive but were sent one by one, costing ${formatUsd(slice.batchableCostUsd)} in the period. ` +
        `The batch API bills the same model ${formatPct(discount)} less and returns results within 24 hours; ` +
        `the answers are the same, only later.`,
      evidence: [
        { label: 'Non-interactive, non-batch requests', value: slice.batchableRequests },
        { label: 'Their cost in period', value: roundUsd(slice.batchableCostUsd), unit: 'USD' },
        { label: 'Share of this traffic', value: ratio(slice.batchableRequests, slice.requests), unit: 'ratio' },
        { label: 'Batch discount', value: discount, unit: 'ratio' },
      ],
      currentMonthlyCostUsd: roundUsd(slice.batchableCostUsd * input.monthlyFactor),
      projectedMonthlySavingUsd: roundUsd(monthlySaving),
      confidence: volumeConfidence(slice.batchableRequests, input.days),
      qualityRisk: 'none',
    });
  }
  return recs;
}
