import { calcPrice, type ModelInfo, type ModelPrice, type Provider, type Usage } from '@pydantic/genai-prices';

/**
 * The price of a call from the four token buckets Tally records, computed with the exact float
 * steps of `@pydantic/genai-prices` 0.1.8 (`calcPrice`).
 *
 * Why: `calcPrice` re-validates the entry's unit tree on every call (ancestor and join checks
 * that stringify and sort unit dimensions), about half the CPU of an ingest. Those checks depend
 * on the entry alone, so an entry that passes them once passes them always. A plan is only used
 * after the library priced sample usages with the entry and agreed to the bit
 * (`verifiedEntryPlan`). Anything this file does not reproduce (a per-request price, a
 * time-of-day constraint, a negative leaf, a value the library would reject) yields no plan or
 * no price, and the caller asks the library: the answer is the library's either way
 * (token-price-plan.test.ts checks every entry of the catalog against it).
 *
 * Prices of other buckets in an entry (web searches, audio or image tokens) price usage Tally
 * does not record: the library gives them a leaf of 0, so each adds exactly 0
 * and takes 0 from its parent bucket. They are left out of the plan.
 */

/**
 * Tally's usage as the library sees it: input is the TOTAL input, cache reads and writes part of
 * it; `cacheWrite` is every cache write (5-minute and 1-hour) and `cacheWrite1h` the 1-hour part
 * of it, which an entry with `cache_write_1h_mtok` prices apart (Anthropic: 2x input, against
 * 1.25x for 5-minute writes) and any other entry prices as an ordinary cache write.
 */
export interface TokenUsage {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  cacheWrite1h: number;
  output: number;
}

type Leaf = 'input' | 'cacheRead' | 'cacheWrite' | 'cacheWrite1h' | 'output';

interface Tiered {
  base: number;
  /** Sorted by start, as the library's TieredPrices sorts them (a stable sort). */
  tiers: { price: number; start: number }[];
}

interface Term {
  leaf: Leaf;
  output: boolean;
  price: number | Tiered;
}

/** The terms of one price entry, in the entry's key order (the library sums in that order). */
export interface EntryPlan {
  terms: Term[];
  /** The entry's cache prices, which decide what the input leaf leaves out. */
  hasCacheRead: boolean;
  hasCacheWrite: boolean;
  hasCacheWrite1h: boolean;
  tiered: boolean;
}

/** Price key → the usage bucket it prices and its direction. Every one of them is per million tokens. */
const KEYS: Readonly<Record<string, { leaf: Leaf; output: boolean }>> = {
  input_mtok: { leaf: 'input', output: false },
  cache_read_mtok: { leaf: 'cacheRead', output: false },
  cache_write_mtok: { leaf: 'cacheWrite', output: false },
  cache_write_1h_mtok: { leaf: 'cacheWrite1h', output: false },
  output_mtok: { leaf: 'output', output: true },
};
const PER = 1e6;

/** A price per call: the library adds it to every call, which a plan does not. */
const PER_REQUEST_KEY = 'requests_kcount';

/**
 * The plan of one price entry, unverified (see `verifiedEntryPlan`), or null when the library
 * must price it.
 */
export function entryPlan(entry: ModelPrice): EntryPlan | null {
  const terms: Term[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (value === undefined) continue;
    if (key === PER_REQUEST_KEY) return null;
    const known = KEYS[key];
    if (!known) continue;
    const price = priceValue(value);
    if (price === null) return null;
    terms.push({ ...known, price });
  }
  const has = (leaf: Leaf) => terms.some((t) => t.leaf === leaf);
  // The library refuses a cache price without the input price, and a 1-hour write price without
  // the write price (its ancestor check): let it.
  if ((has('cacheRead') || has('cacheWrite')) && !has('input')) return null;
  if (has('cacheWrite1h') && !has('cacheWrite')) return null;
  return {
    terms,
    hasCacheRead: has('cacheRead'),
    hasCacheWrite: has('cacheWrite'),
    hasCacheWrite1h: has('cacheWrite1h'),
    tiered: terms.some((t) => typeof t.price !== 'number'),
  };
}

/** A number or tiered price as the library accepts it; null for anything it would reject. */
function priceValue(value: unknown): number | Tiered | null {
  if (isPrice(value)) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { base, tiers } = value as { base?: unknown; tiers?: unknown };
  if (!isPrice(base) || !Array.isArray(tiers)) return null;
  const copy: Tiered['tiers'] = [];
  for (const tier of tiers as unknown[]) {
    if (typeof tier !== 'object' || tier === null || Array.isArray(tier)) return null;
    const { price, start } = tier as { price?: unknown; start?: unknown };
    if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0 || !isPrice(price)) return null;
    copy.push({ price, start });
  }
  return { base, tiers: copy.sort((a, b) => a.start - b.start) };
}

function isPrice(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * The total price of `usage` under the entry, as `calcPrice(...).total_price` computes it, or
 * null when the library must decide (a value it would reject, more cache than input).
 */
export function priceWithPlan(plan: EntryPlan, usage: TokenUsage): number | null {
  const { input, cacheRead, cacheWrite, cacheWrite1h, output } = usage;
  if (!isPrice(input) || !isPrice(cacheRead) || !isPrice(cacheWrite) || !isPrice(cacheWrite1h) || !isPrice(output)) return null;
  // Each leaf is its bucket minus the more specific buckets the entry prices apart, summed in the
  // library's order (most dimensions first: 1-hour write, then cache read, then cache write).
  const writeLeaf = plan.hasCacheWrite1h ? cacheWrite - cacheWrite1h : cacheWrite;
  let priced = 0;
  if (plan.hasCacheWrite1h) priced += cacheWrite1h;
  if (plan.hasCacheRead) priced += cacheRead;
  if (plan.hasCacheWrite) priced += writeLeaf;
  const inputLeaf = input - priced;
  // The library clamps a tiny negative rounding error and throws on a real one: its call.
  if (inputLeaf < 0 || writeLeaf < 0) return null;
  const leaves: Record<Leaf, number> = { input: inputLeaf, cacheRead, cacheWrite: writeLeaf, cacheWrite1h, output };
  let inputPrice = 0;
  let outputPrice = 0;
  for (const { leaf, output: isOutput, price } of plan.terms) {
    const tokens = leaves[leaf];
    const term = typeof price === 'number' ? (price * tokens) / PER : (tieredPrice(price, tokens, input) * 1e6) / PER;
    if (isOutput) outputPrice += term;
    else inputPrice += term;
  }
  // The library's third sum (neither direction) is 0 for these four keys.
  return inputPrice + outputPrice + 0;
}

/** The library's tier rule: the last tier whose start the call's total input exceeds. */
function tieredPrice(price: Tiered, tokens: number, totalInput: number): number {
  if (tokens <= 0) return 0;
  let perMTok = price.base;
  for (const tier of price.tiers) if (totalInput > tier.start) perMTok = tier.price;
  return (perMTok * tokens) / 1e6;
}

/** What the library says an entry charges for a usage (its `total_price`); may throw, as the library does. */
export type LibraryEntryPrice = (entry: ModelPrice, usage: TokenUsage) => number;

/** The library as a LibraryEntryPrice for the one model of `provider`, selected by `modelId`. */
export function libraryEntryPrice(provider: Provider, modelId: string): LibraryEntryPrice {
  const model = provider.models[0];
  if (!model) throw new RangeError(`provider ${provider.id} holds no model`);
  return (entry, usage) => {
    const alone: Provider = { ...provider, models: [{ ...model, prices: entry }] };
    const result = calcPrice(libraryUsage(usage), modelId, { provider: alone });
    if (!result) throw new Error(`the library does not find ${modelId} in its own provider`);
    return result.total_price;
  };
}

/** Tally's buckets in the library's names. */
export function libraryUsage(tokens: TokenUsage): Usage {
  return {
    input_tokens: tokens.input,
    cache_read_tokens: tokens.cacheRead,
    cache_write_tokens: tokens.cacheWrite,
    cache_write_1h_tokens: tokens.cacheWrite1h,
    output_tokens: tokens.output,
  };
}

/**
 * The entry's plan if the library prices sample usages with the entry exactly as the plan does
 * (every bucket alone and together, at and past each tier's start), else null. Runs once per
 * entry: a plan is never trusted on its construction alone.
 */
export function verifiedEntryPlan(entry: ModelPrice, library: LibraryEntryPrice): EntryPlan | null {
  const plan = entryPlan(entry);
  if (!plan) return null;
  for (const usage of sampleUsages(plan)) {
    let expected: number;
    try {
      expected = library(entry, usage);
    } catch {
      return null;
    }
    if (!Object.is(priceWithPlan(plan, usage), expected)) return null;
  }
  return plan;
}

function sampleUsages(plan: EntryPlan): TokenUsage[] {
  const samples: TokenUsage[] = [
    { input: 1_117, cacheRead: 100, cacheWrite: 10, cacheWrite1h: 0, output: 53 },
    { input: 1_117, cacheRead: 100, cacheWrite: 10, cacheWrite1h: 4, output: 53 },
    { input: 3_000_017, cacheRead: 1_000_003, cacheWrite: 7, cacheWrite1h: 0, output: 123_457 },
    { input: 3_000_017, cacheRead: 1_000_003, cacheWrite: 70_001, cacheWrite1h: 50_000, output: 123_457 },
    { input: 0, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, output: 1 },
    { input: 7, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, output: 0 },
    { input: 5, cacheRead: 5, cacheWrite: 0, cacheWrite1h: 0, output: 0 },
    { input: 5, cacheRead: 0, cacheWrite: 5, cacheWrite1h: 0, output: 0 },
    { input: 5, cacheRead: 0, cacheWrite: 5, cacheWrite1h: 5, output: 0 },
  ];
  for (const { price } of plan.terms) {
    if (typeof price === 'number') continue;
    for (const { start } of price.tiers) {
      samples.push(
        { input: start, cacheRead: 3, cacheWrite: 2, cacheWrite1h: 1, output: 11 },
        { input: start + 1, cacheRead: 3, cacheWrite: 2, cacheWrite1h: 1, output: 11 },
      );
    }
  }
  return samples;
}

/** A model's price entries with their start times, as the library picks them by time. */
export interface ModelPlan {
  /** Entries in the model's order; null start: no constraint. */
  entries: { startMs: number | null; plan: EntryPlan | null }[];
  /** Whether the entries are picked by date: the library then refuses an invalid call time. */
  dated: boolean;
}

/**
 * The verified plans of a model's entries, or null when its prices depend on something other
 * than the call's date (a time-of-day constraint), which the library then resolves per call.
 */
export function modelPlan(model: ModelInfo, library: LibraryEntryPrice): ModelPlan | null {
  const { prices } = model;
  if (!Array.isArray(prices)) return { entries: [{ startMs: null, plan: verifiedEntryPlan(prices, library) }], dated: false };
  if (prices.length === 0) return null;
  const entries: ModelPlan['entries'] = [];
  for (const conditional of prices) {
    const constraint = conditional.constraint;
    if (constraint !== undefined && constraint.type !== 'start_date') return null;
    entries.push({ startMs: constraint ? new Date(constraint.start_date).getTime() : null, plan: verifiedEntryPlan(conditional.prices, library) });
  }
  return { entries, dated: true };
}

/**
 * Which entry the library would pick at `atMs`: from the last entry back, the first with no
 * constraint or a start at or before the call (a start that is not a date never matches), else
 * the first entry. -1 for an invalid time on dated entries (the library refuses it).
 */
export function entryIndexAt(model: ModelPlan, atMs: number): number {
  const { entries } = model;
  if (!model.dated) return 0;
  if (Number.isNaN(atMs)) return -1;
  for (let i = entries.length - 1; i >= 0; i--) {
    const { startMs } = entries[i]!;
    if (startMs === null || atMs >= startMs) return i;
  }
  return 0;
}

/** The plan of the entry the library would pick at `atMs` (entryIndexAt); null when that entry, or an invalid time, needs the library. */
export function planAt(model: ModelPlan, atMs: number): EntryPlan | null {
  const index = entryIndexAt(model, atMs);
  return index < 0 ? null : model.entries[index]!.plan;
}
