import type { Recommendation } from '@tally/protocol';
import type { ModelPrices } from '../../pricing/price-catalog.js';
import { formatInt, formatPct, formatPerMTok, formatUsd } from '../format.js';
import { listCostUsd } from '../list-cost.js';
import { MODEL_TIER_TABLE, findModelTier, tierDrop, type ModelTierEntry } from '../model-tiers.js';
import { ratio, roundUsd } from '../round.js';
import { sliceScope, type TrafficSlice } from '../traffic-slices.js';
import { isMaterial, recommendationId, volumeConfidence, type StrategyInput } from './strategy.js';

/** Mean output tokens per request above which outputs count as long (harder to match in quality). */
export const LONG_OUTPUT_TOKENS = 1000;
/** Mean output tokens per request below which the task is short-answer (labels, routing, extraction). */
export const SHORT_OUTPUT_TOKENS = 100;
/** Share of output tokens spent reasoning above which the traffic counts as reasoning-heavy. */
export const REASONING_HEAVY_SHARE = 0.2;

interface Option {
  entry: ModelTierEntry;
  risk: Recommendation['qualityRisk'];
  prices: ModelPrices;
  projectedCostUsd: number;
  monthlySavingUsd: number;
}

/**
 * Cheaper model of a comparable tier for the same traffic. Both models are priced by the catalog on
 * the slice's own token volumes; the ratio of the two list costs is applied to what the slice
 * actually cost, so discounts the traffic already gets (batch) carry over to the projection.
 */
export function cheaperModel(input: StrategyInput): Recommendation[] {
  const recs: Recommendation[] = [];
  for (const slice of input.slices) {
    const rec = forSlice(slice, input);
    if (rec) recs.push(rec);
  }
  return recs;
}

function forSlice(slice: TrafficSlice, input: StrategyInput): Recommendation | null {
  if (slice.costUsd <= 0 || slice.requests === 0) return null;
  const entry = findModelTier(slice.model);
  if (!entry || entry.alternatives.length === 0) return null;
  const current = input.prices.modelPrices(slice.model, slice.provider, input.at);
  if (!current) return null;
  const currentListUsd = listCostUsd(current, slice);
  if (currentListUsd <= 0) return null;

  const meanOutput = slice.outputTokens / slice.requests;
  const reasoningShare = ratio(slice.reasoningTokens, slice.outputTokens);
  const options: Option[] = [];
  for (const altId of entry.alternatives) {
    const alt = MODEL_TIER_TABLE.find((e) => e.id === altId);
    const prices = alt ? input.prices.modelPrices(alt.id, alt.provider, input.at) : null;
    if (!alt || !prices || prices.model === current.model) continue;
    const projectedCostUsd = (slice.costUsd * listCostUsd(prices, slice)) / currentListUsd;
    const monthlySavingUsd = (slice.costUsd - projectedCostUsd) * input.monthlyFactor;
    if (!isMaterial(monthlySavingUsd, input.monthlySpendUsd)) continue;
    options.push({ entry: alt, risk: qualityRisk(entry, alt, meanOutput, reasoningShare), prices, projectedCostUsd, monthlySavingUsd });
  }
  // The least quality risk for this traffic wins; among equal risks, the bigger saving.
  const ranked = options.sort((a, b) => RISK_ORDER[a.risk] - RISK_ORDER[b.risk] || b.monthlySavingUsd - a.monthlySavingUsd);
  const chosen = ranked[0];
  if (!chosen) return null;
  const bigger = ranked.slice(1).find((o) => o.monthlySavingUsd > chosen.monthlySavingUsd);
  const risk = chosen.risk;
  const drop = tierDrop(entry.tier, chosen.entry.tier);
  const evidence: Recommendation['evidence'] = [
    { label: 'Requests in period', value: slice.requests },
    { label: 'Uncached input tokens', value: slice.inputTokens },
    { label: 'Cache read tokens', value: slice.cacheReadTokens },
    { label: 'Cache write tokens', value: slice.cacheWriteTokens },
    { label: 'Output tokens', value: slice.outputTokens },
    { label: 'Mean output tokens per request', value: Math.round(meanOutput) },
    { label: 'Reasoning share of output', value: reasoningShare, unit: 'ratio' },
    { label: `Cost on ${slice.model} in period`, value: roundUsd(slice.costUsd), unit: 'USD' },
    { label: `Projected cost on ${chosen.prices.model} in period`, value: roundUsd(chosen.projectedCostUsd), unit: 'USD' },
    { label: `${current.model} input / output price`, value: `${formatPerMTok(current.inputPerMTok)} / ${formatPerMTok(current.outputPerMTok)}` },
    { label: `${chosen.prices.model} input / output price`, value: `${formatPerMTok(chosen.prices.inputPerMTok)} / ${formatPerMTok(chosen.prices.outputPerMTok)}` },
  ];
  if (bigger) {
    evidence.push({
      label: `Bigger saving with ${bigger.prices.model} (${bigger.entry.tier} tier, ${bigger.risk} quality risk)`,
      value: roundUsd(bigger.monthlySavingUsd),
      unit: 'USD/month',
    });
  }
  const tierText =
    drop === 0
      ? `a ${chosen.entry.tier}-tier model like ${slice.model}`
      : `${drop === 1 ? 'one tier' : 'two tiers'} smaller (${entry.tier} to ${chosen.entry.tier})`;
  return {
    id: recommendationId('cheaper_model', slice.key),
    strategy: 'cheaper_model',
    title: `Move ${slice.project}/${slice.feature} from ${slice.model} to ${chosen.prices.model}`,
    scope: sliceScope(slice),
    rationale:
      `The same ${formatInt(slice.requests)} requests priced at ${chosen.prices.model}'s rates would have cost ` +
      `${formatUsd(chosen.projectedCostUsd)} instead of ${formatUsd(slice.costUsd)}. ${chosen.prices.model} is ${tierText}; ` +
      `outputs here average ${formatInt(meanOutput)} tokens` +
      (reasoningShare > 0 ? ` with ${formatPct(reasoningShare)} reasoning` : '') +
      '. Compare answers on a sample before switching.',
    evidence,
    currentMonthlyCostUsd: roundUsd(slice.costUsd * input.monthlyFactor),
    projectedMonthlySavingUsd: roundUsd(chosen.monthlySavingUsd),
    confidence: volumeConfidence(slice.requests, input.days),
    qualityRisk: risk,
    targetModel: chosen.prices.model,
  };
}

const RISK_ORDER: Record<Recommendation['qualityRisk'], number> = { none: 0, low: 1, medium: 2, high: 3 };

/**
 * Same tier: low; each tier down one level more. Long or reasoning-heavy outputs add a level, as
 * that is where smaller models fall behind; short answers (labels, routing) take one off a smaller
 * model, as they rarely need a bigger one. A model change is never risk-free (at least low), and
 * reasoning traffic moved to a model that cannot reason is high.
 */
export function qualityRisk(
  from: ModelTierEntry,
  to: ModelTierEntry,
  meanOutputTokens: number,
  reasoningShare: number,
): Recommendation['qualityRisk'] {
  if (reasoningShare > 0 && !to.reasoning) return 'high';
  const levels = ['none', 'low', 'medium', 'high'] as const;
  const drop = Math.max(0, tierDrop(from.tier, to.tier));
  let level = 1 + drop;
  if (meanOutputTokens > LONG_OUTPUT_TOKENS || reasoningShare >= REASONING_HEAVY_SHARE) level += 1;
  else if (meanOutputTokens < SHORT_OUTPUT_TOKENS && reasoningShare === 0 && drop > 0) level -= 1;
  return levels[Math.min(Math.max(level, 1), 3)]!;
}
