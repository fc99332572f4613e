import type { Recommendation } from '@tally/protocol';
import type { ModelPrices, PriceCatalog } from '../pricing/price-catalog.js';
import { listCostUsd, type TokenVolume } from './list-cost.js';
import { roundUsd } from './round.js';
import { sliceKeyOfRecommendation } from './strategies/strategy.js';
import type { TrafficSlice } from './traffic-slices.js';

/** A part of a slice's traffic that every action treats alike: its tokens and what they cost. */
export interface TrafficPart extends TokenVolume {
  costUsd: number;
  /** Calls that ended in error or timeout. */
  failed: boolean;
  /** Non-interactive calls not yet sent through a batch API. */
  batchable: boolean;
}

/** What the recommendations on one slice change, in the order they are applied. */
export interface SliceActions {
  /** error_waste: the failed calls are no longer paid for. */
  dropFailed: boolean;
  /** cheaper_model: every token is priced on this model from here on. */
  switchTo: ModelPrices | null;
  /** prompt_caching: period prefix tokens that move from plain input to cache reads and writes. */
  cache: { readTokens: number; writeTokens: number } | null;
  /** batch_api: the discount the batchable parts get. */
  batchDiscount: number | null;
  /** oversized_limits: period output tokens no longer generated. */
  outputTokensCut: number;
}

export const NO_ACTIONS: SliceActions = { dropFailed: false, switchTo: null, cache: null, batchDiscount: null, outputTokensCut: 0 };

/**
 * The period cost of a slice's traffic after the actions, applied one after another on its real
 * token mix: failed calls dropped, then every token repriced on the new model, then the prefix
 * tokens moved to the cache (at the new model's cache prices: a model with no cache prices bills
 * them as input, so caching then saves nothing), then the batch discount on what is batchable,
 * then the output no longer generated. Each part keeps the ratio of what it actually cost to its
 * list price (discounts the traffic already gets carry over). Pure.
 */
export function costAfterActions(parts: readonly TrafficPart[], current: ModelPrices, actions: SliceActions): number {
  const kept = actions.dropFailed ? parts.filter((p) => !p.failed) : [...parts];
  const model = actions.switchTo ?? current;
  const inputOf = (p: TrafficPart) => p.inputTokens;
  const outputOf = (p: TrafficPart) => p.outputTokens;
  // The caching estimate covers every call with the prefix; calls dropped before it take their share with them.
  const cacheShare = share(kept, parts, inputOf);
  const cutShare = share(kept, parts, outputOf);
  const keptInput = sum(kept, inputOf);
  const keptOutput = sum(kept, outputOf);
  let total = 0;
  for (const part of kept) {
    const listBefore = listCostUsd(current, part);
    // A part with no list price (all tokens zero) keeps what it cost.
    const actualToList = listBefore > 0 ? part.costUsd / listBefore : 0;
    const volume: TokenVolume = { ...pickVolume(part) };
    if (actions.cache && keptInput > 0) {
      const weight = part.inputTokens / keptInput;
      const read = actions.cache.readTokens * cacheShare * weight;
      const write = actions.cache.writeTokens * cacheShare * weight;
      const moved = Math.min(volume.inputTokens, read + write);
      const scale = read + write > 0 ? moved / (read + write) : 0;
      volume.inputTokens -= moved;
      volume.cacheReadTokens += read * scale;
      volume.cacheWriteTokens += write * scale;
    }
    if (actions.outputTokensCut > 0 && keptOutput > 0) {
      volume.outputTokens = Math.max(0, volume.outputTokens - actions.outputTokensCut * cutShare * (part.outputTokens / keptOutput));
    }
    let cost = listBefore > 0 ? listCostUsd(model, volume) * actualToList : part.costUsd;
    if (part.batchable && actions.batchDiscount !== null) cost *= 1 - actions.batchDiscount;
    total += cost;
  }
  return total;
}

/** Splits a slice's rows into its parts (failed or not, batchable or not). */
export function partsOfSlice(slice: TrafficSlice): TrafficPart[] {
  const parts = new Map<string, TrafficPart>();
  for (const row of slice.rows) {
    const failed = row.status !== 'ok';
    const batchable = !row.interactive && !row.batch;
    const key = `${failed}/${batchable}`;
    const part = parts.get(key) ?? { inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 0, costUsd: 0, failed, batchable };
    part.inputTokens += row.inputTokens;
    part.cacheReadTokens += row.cacheReadTokens;
    part.cacheWriteTokens += row.cacheWriteTokens;
    // 1-hour cache writes, where the rows carry them apart (absent is 0).
    part.cacheWrite1hTokens = (part.cacheWrite1hTokens ?? 0) + ((row as Partial<TokenVolume>).cacheWrite1hTokens ?? 0);
    part.outputTokens += row.outputTokens;
    part.costUsd += row.costUsd;
    parts.set(key, part);
  }
  return [...parts.values()];
}

/**
 * The monthly saving of a set of recommendations applied together. Per slice they are applied in
 * sequence on the slice's token mix (costAfterActions); slices are disjoint, so their savings add.
 * A recommendation whose slice cannot be repriced (unknown model, no rows) counts its own saving,
 * capped at that slice's spend.
 */
export function combinedMonthlySaving(args: {
  recommendations: readonly Recommendation[];
  slices: readonly TrafficSlice[];
  prices: PriceCatalog;
  monthlyFactor: number;
  at: Date;
}): number {
  const bySlice = new Map<string, Recommendation[]>();
  for (const rec of args.recommendations) {
    const key = sliceKeyOfRecommendation(rec.id);
    bySlice.set(key, [...(bySlice.get(key) ?? []), rec]);
  }
  let total = 0;
  for (const [key, recs] of bySlice) {
    const slice = args.slices.find((s) => s.key === key);
    const current = slice ? args.prices.modelPrices(slice.model, slice.provider, args.at) : null;
    const actions = current ? actionsOf(recs, current, args) : null;
    if (!slice || !current || !actions) {
      const added = recs.reduce((t, r) => t + r.projectedMonthlySavingUsd, 0);
      total += slice ? Math.min(added, slice.costUsd * args.monthlyFactor) : added;
      continue;
    }
    const parts = partsOfSlice(slice);
    const before = parts.reduce((t, p) => t + p.costUsd, 0);
    total += Math.max(0, before - costAfterActions(parts, current, actions)) * args.monthlyFactor;
  }
  return roundUsd(total);
}

/** The actions a slice's recommendations stand for, read from their structured fields and evidence; null when one cannot be read. */
function actionsOf(recs: readonly Recommendation[], current: ModelPrices, args: { prices: PriceCatalog; monthlyFactor: number; at: Date }): SliceActions | null {
  const actions: SliceActions = { ...NO_ACTIONS };
  for (const rec of recs) {
    switch (rec.strategy) {
      case 'error_waste':
        actions.dropFailed = true;
        break;
      case 'cheaper_model': {
        const target = rec.targetModel ? args.prices.modelPrices(rec.targetModel, null, args.at) : null;
        if (!target) return null;
        actions.switchTo = target;
        break;
      }
      case 'prompt_caching': {
        const read = evidenceNumber(rec, /^Estimated cache read tokens/);
        const write = evidenceNumber(rec, /^Estimated cache write tokens/);
        if (read === null || write === null) return null;
        actions.cache = { readTokens: read, writeTokens: write };
        break;
      }
      case 'batch_api':
        actions.batchDiscount = evidenceNumber(rec, /^Batch discount/) ?? 0.5;
        break;
      case 'oversized_limits':
        if (current.outputPerMTok <= 0 || args.monthlyFactor <= 0) return null;
        actions.outputTokensCut = ((rec.projectedMonthlySavingUsd / args.monthlyFactor) * 1e6) / current.outputPerMTok;
        break;
      default: {
        const never: never = rec.strategy;
        throw new Error(`unknown strategy ${String(never)}`);
      }
    }
  }
  return actions;
}

function evidenceNumber(rec: Recommendation, label: RegExp): number | null {
  const item = rec.evidence.find((e) => label.test(e.label));
  return typeof item?.value === 'number' ? item.value : null;
}

function pickVolume(p: TokenVolume): TokenVolume {
  return {
    inputTokens: p.inputTokens,
    cacheReadTokens: p.cacheReadTokens,
    cacheWriteTokens: p.cacheWriteTokens,
    cacheWrite1hTokens: p.cacheWrite1hTokens ?? 0,
    outputTokens: p.outputTokens,
  };
}

function sum(parts: readonly TrafficPart[], pick: (p: TrafficPart) => number): number {
  return parts.reduce((t, p) => t + pick(p), 0);
}

/** The share of a quantity the kept parts hold (1 when there is none to share). */
function share(kept: readonly TrafficPart[], all: readonly TrafficPart[], pick: (p: TrafficPart) => number): number {
  const whole = sum(all, pick);
  return whole > 0 ? sum(kept, pick) / whole : 1;
}
