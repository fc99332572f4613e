import type { Recommendation } from '@tally/protocol';
import type { PrefixStatRow } from '../../usage/usage-store.js';
import { formatInt, formatPct, formatPerMTok, formatUsd } from '../format.js';
import { ratio, roundUsd } from '../round.js';
import { sliceKey, sliceScope } from '../traffic-slices.js';
import { cacheableTokens, cachingRuleOf, type CachingRule } from './cache-minimums.js';
import { isMaterial, recommendationId, volumeConfidence, type StrategyInput } from './strategy.js';
/**
 * A cached prefix lives about 5 minutes after its last use (OpenAI, Anthropic's default), so a
 * day holds at most 288 windows. Stores count the exact cold starts (PrefixStatRow.coldStarts);
 * for a row without them the estimate assumes calls spread evenly, each window paying one cache
 * write. Bursty traffic writes less, so that estimate errs low.
 */
export const CACHE_WINDOWS_PER_DAY = 288;
/** A prefix already read from cache this much of the time is left alone. */
const ALREADY_CACHED_SHARE = 0.95;

interface PrefixSaving {
  requests: number;
  prefixTokens: number;
  uncachedPrefixTokens: number;
  /** Calls that would write the cache. */
  writes: number;
  writeTokens: number;
  readTokens: number;
  savingUsd: number;
  warm: boolean;
  /** Whether the writes are the counted cold starts, or the even-spread estimate. */
  measured: boolean;
  /** Tokens of the mean prefix the provider would cache (whole steps past its minimum). */
  cacheablePrefixTokens: number;
}

/**
 * Prompt caching of repeated prefixes: prefix tokens billed at the full input price that the
 * provider's cache would bill at its cache-read price, minus what writing the cache costs (for
 * providers that charge a write premium). Summed per slice over its prefixes that would save.
 *
 * The arithmetic, per prefix, with P the mean prefix tokens and u the share of prefix tokens billed
 * as plain input (neither read from nor written to a cache): writes W = coldStarts x u (a call with
 * a cold cache writes it), reads R = requests x u - W; saving = R x P x (input - read) -
 * W x P x (write - input). It is exact for past traffic under a 5-minute cache lifetime, and is
 * the definition the planted `uncached-prefix` of the generated usage is measured by.
 */
export function promptCaching(input: StrategyInput): Recommendation[] {
  const bySlice = new Map<string, PrefixStatRow[]>();
  for (const row of input.prefixStats) {
    const key = sliceKey(row.model, row.project, row.feature);
    bySlice.set(key, [...(bySlice.get(key) ?? []), row]);
  }
  const recs: Recommendation[] = [];
  for (const [key, rows] of bySlice) {
    const first = rows[0]!;
    const prices = input.prices.modelPrices(first.model, first.provider, input.at);
    // No cache-read price: the model (or its host) has no prompt cache to use.
    if (!prices || prices.cacheReadPerMTok === null) continue;
    const readPrice = prices.cacheReadPerMTok;
    const writePrice = prices.cacheWritePerMTok ?? prices.inputPerMTok;
    // Prefixes under the model's minimum are never cached: no saving (cache-minimums.ts).
    const rule = cachingRuleOf(first.model);
    const savings = rows
      .map((row) => prefixSaving(row, prices.inputPerMTok, readPrice, writePrice, rule))
      .filter((s): s is PrefixSaving => s !== null && s.savingUsd > 0);
    if (savings.length === 0) continue;
    const sum = (pick: (s: PrefixSaving) => number) => savings.reduce((t, s) => t + pick(s), 0);
    const monthlySaving = sum((s) => s.savingUsd) * input.monthlyFactor;
    if (!isMaterial(monthlySaving, input.monthlySpendUsd)) continue;

    const requests = sum((s) => s.requests);
    const prefixTokens = sum((s) => s.prefixTokens);
    const uncached = sum((s) => s.uncachedPrefixTokens);
    // If every uncached prefix were read from cache, with no write at all: the ceiling of the
    // estimate (only the part of each prefix the provider caches).
    const cacheableUncached = sum((s) => (s.uncachedPrefixTokens * s.cacheablePrefixTokens * s.requests) / s.prefixTokens);
    const ceilingMonthly = ((cacheableUncached * (prices.inputPerMTok - readPrice)) / 1e6) * input.monthlyFactor;
    const slice = input.slices.find((s) => s.key === key);
    const sliceMonthly = slice ? slice.costUsd * input.monthlyFactor : (uncached * prices.inputPerMTok * input.monthlyFactor) / 1e6;
    // Sparse traffic may not keep the cache warm, an assumed minimum may be wrong, and implicit
    // caching is best effort: each makes the projection less sure.
    const sure = savings.every((s) => s.warm) && rule.known && rule.guaranteed;
    const byVolume = volumeConfidence(requests, input.days);
    const confidence = sure ? byVolume : byVolume === 'high' ? 'medium' : byVolume;
    const measured = savings.every((s) => s.measured);
    const writes = sum((s) => s.writes);
    const where = { model: first.model, project: first.project, feature: first.feature };
    recs.push({
      id: recommendationId('prompt_caching', key),
      strategy: 'prompt_caching',
      title: `Cache the repeated prompt prefix${savings.length > 1 ? 'es' : ''} of ${first.project}/${first.feature} on ${first.model}`,
      scope: sliceScope(where),
      rationale:
        `${formatInt(requests)} requests reuse ${savings.length} prompt prefix${savings.length > 1 ? 'es' : ''} averaging ` +
        `${formatInt(prefixTokens / requests)} tokens; ${formatPct(ratio(uncached, prefixTokens))} of those tokens were billed at the full ` +
        `input price (${formatPerMTok(prices.inputPerMTok)}). Read from the prompt cache they cost ${formatPerMTok(readPrice)}` +
        (measured
          ? `, except on the ${formatInt(writes)} calls that came more than 5 minutes after the previous one with the prefix, ` +
            `which would write the cache${writePrice > prices.inputPerMTok ? ` at ${formatPerMTok(writePrice)}` : ''} ` +
            `(with no write at all the saving would be ${formatUsd(ceilingMonthly)} a month)`
          : `, after one cache write${writePrice > prices.inputPerMTok ? ` at ${formatPerMTok(writePrice)}` : ''} per 5-minute window of traffic ` +
            `(calls assumed spread over the whole day, so traffic that comes in bursts saves more, up to ${formatUsd(ceilingMonthly)} a month)`) +
        `. Put the stable part (system prompt, tools, examples) first${writePrice > prices.inputPerMTok ? ' and mark it for caching' : ''}; ` +
        `answers do not change. ${first.model} caches prefixes of ${formatInt(rule.minTokens)} tokens or more` +
        (rule.stepTokens > 1 ? `, in steps of ${rule.stepTokens}` : '') +
        (rule.known ? '' : ' (assumed: its provider publishes no minimum Tally knows)') +
        (rule.guaranteed ? '.' : ', and applies its cache at its own discretion (implicit caching): the saving is not guaranteed.'),
      evidence: [
        { label: 'Repeated prefixes', value: savings.length },
        { label: 'Requests with those prefixes', value: requests },
        { label: 'Mean prefix tokens', value: Math.round(prefixTokens / requests) },
        { label: 'Minimum cacheable prefix', value: rule.minTokens },
        { label: 'Prefix tokens billed uncached', value: uncached },
        ...(measured ? [{ label: 'Calls with a cold cache (first, or over 5 minutes after the previous)', value: Math.round(writes) }] : []),
        { label: 'Estimated cache write tokens', value: Math.round(sum((s) => s.writeTokens)) },
        { label: 'Estimated cache read tokens', value: Math.round(sum((s) => s.readTokens)) },
        { label: 'Input price', value: prices.inputPerMTok, unit: 'USD/MTok' },
        { label: 'Cache read price', value: readPrice, unit: 'USD/MTok' },
        { label: 'Cache write price', value: writePrice, unit: 'USD/MTok' },
        { label: 'Saving in period', value: roundUsd(sum((s) => s.savingUsd)), unit: 'USD' },
        { label: 'Ceiling if every call read the cache', value: roundUsd(ceilingMonthly), unit: 'USD/month' },
      ],
      currentMonthlyCostUsd: roundUsd(sliceMonthly),
      projectedMonthlySavingUsd: roundUsd(monthlySaving),
      confidence,
      qualityRisk: 'none',
    });
  }
  return recs.sort((a, b) => b.projectedMonthlySavingUsd - a.projectedMonthlySavingUsd || a.id.localeCompare(b.id));
}

/**
 * The period saving of caching one prefix, or null when it cannot be cached (shorter than the
 * model's minimum) or already is. Only the part of the prefix the provider caches (whole steps
 * past the minimum, cache-minimums.ts) moves to the cache prices; the rest stays plain input.
 */
export function prefixSaving(
  row: PrefixStatRow,
  inputPrice: number,
  readPrice: number,
  writePrice: number,
  rule: CachingRule = cachingRuleOf(row.model),
): PrefixSaving | null {
  if (row.requests < 2 || row.prefixTokens <= 0) return null;
  const meanPrefix = row.prefixTokens / row.requests;
  const cacheable = cacheableTokens(meanPrefix, rule);
  if (cacheable <= 0) return null;
  // Prefix tokens already read from or written to a cache (5-minute or 1-hour) are not billed as plain input.
  const uncachedPrefixTokens = Math.max(0, row.prefixTokens - row.cacheReadTokens - (row.cacheWriteTokens ?? 0) - (row.cacheWrite1hTokens ?? 0));
  const uncachedShare = uncachedPrefixTokens / row.prefixTokens;
  if (uncachedShare <= 1 - ALREADY_CACHED_SHARE) return null;
  const callsPerDay = row.days > 0 ? row.days : row.requests;
  const activeDays = row.activeDays ?? row.requests / callsPerDay;
  const measured = row.coldStarts !== undefined;
  // Only the uncached part changes: its cold starts write the cache (counted by the store, else
  // one per 5-minute window of an evenly spread day), the rest read it.
  const coldStarts = row.coldStarts ?? Math.min(row.requests, activeDays * Math.min(callsPerDay, CACHE_WINDOWS_PER_DAY));
  const writes = coldStarts * uncachedShare;
  const reads = row.requests * uncachedShare - writes;
  const writeTokens = writes * cacheable;
  const readTokens = reads * cacheable;
  const savingUsd = (readTokens * (inputPrice - readPrice) - writeTokens * (writePrice - inputPrice)) / 1e6;
  return {
    requests: row.requests,
    prefixTokens: row.prefixTokens,
    uncachedPrefixTokens,
    writeTokens,
    readTokens,
    writes,
    savingUsd,
    // Counted cold starts already price in how often the cache would go cold.
    warm: measured || callsPerDay >= CACHE_WINDOWS_PER_DAY,
    measured,
    cacheablePrefixTokens: cacheable,
  };
}
