import type { PriceCatalog, PricingRules } from './price-catalog.js';
import type { EntryPlan } from './token-price-plan.js';

/**
 * The price of a stored record as an expression a database evaluates, for re-pricing millions of
 * records with one statement per chunk instead of one round trip per record. It is not a second
 * pricing: it is the catalog's own verified plans (token-price-plan.ts) written out, step by step
 * in the same float operations and order as `priceWithPlan` and the catalog's final price, so
 * PostgreSQL's float8 and ClickHouse's Float64 (both IEEE 754 doubles) give the same bits as
 * `priceCall` (test/pricing/reprice-formula.test.ts checks it on both engines).
 *
 * Each store renders the tree in its own SQL (sql-price-expression.ts, clickhouse-price-expression.ts).
 */
export type TokenColumn = 'input_tokens' | 'cache_read_tokens' | 'cache_write_tokens' | 'cache_write_1h_tokens' | 'output_tokens';

export type PriceExpr =
  | { k: 'num'; v: number }
  /** A sum of whole token columns (exact as integers), as a double. */
  | { k: 'tokens'; columns: readonly TokenColumn[] }
  | { k: 'op'; op: '+' | '*' | '/'; a: PriceExpr; b: PriceExpr }
  | { k: 'case'; when: readonly (readonly [PriceCond, PriceExpr])[]; else: PriceExpr }
  | { k: 'null' };

export type PriceCond =
  | { k: 'gt'; a: PriceExpr; v: number }
  /** The record's time (epoch ms) at or after `ms`. */
  | { k: 'since'; ms: number }
  | { k: 'batch' };

/** A (model, provider) pair as stored: the records of one pair are priced alike. */
export interface StoredPair {
  model: string;
  provider: string | null;
}

export interface PairPricing {
  pair: StoredPair;
  /** The new cost of one of the pair's records; absent: the library prices each record (see `library`). */
  expr: PriceExpr | null;
}

export interface RepriceFormula {
  /** Pairs priced in the database. Pairs not listed are unknown to the catalog: their cost is null. */
  priced: PairPricing[];
  /** Pairs whose prices the plans cannot express (a per-request price, a time-of-day rule): priced record by record. */
  library: StoredPair[];
}

const PER = 1e6;
const num = (v: number): PriceExpr => ({ k: 'num', v });
const op = (o: '+' | '*' | '/', a: PriceExpr, b: PriceExpr): PriceExpr => ({ k: 'op', op: o, a, b });

/** The formula for the stored pairs under the catalog; null when the catalog has no rules to give (price record by record). */
export function repriceFormula(catalog: PriceCatalog, pairs: readonly StoredPair[]): RepriceFormula | null {
  if (!catalog.pricingRules) return null;
  const priced: PairPricing[] = [];
  const library: StoredPair[] = [];
  for (const pair of pairs) {
    const rules = catalog.pricingRules(pair.model, pair.provider);
    if (!rules) continue;
    const expr = rulesExpr(rules);
    if (expr) priced.push({ pair, expr });
    else library.push(pair);
  }
  return { priced, library };
}

/** The whole price of a call under the rules, or null when an entry needs the library. */
function rulesExpr(rules: PricingRules): PriceExpr | null {
  const model = rules.entries;
  if (!model || model.entries.some((e) => e.plan === null)) return null;
  let total: PriceExpr;
  if (!model.dated) total = planExpr(model.entries[0]!.plan!);
  else {
    // planAt: from the last entry back, the first with no start or a start at or before the call, else the first.
    const when: (readonly [PriceCond, PriceExpr])[] = [];
    let fallback: PriceExpr = planExpr(model.entries[0]!.plan!);
    for (let i = model.entries.length - 1; i >= 0; i--) {
      const { startMs, plan } = model.entries[i]!;
      if (startMs === null) {
        fallback = planExpr(plan!);
        break;
      }
      when.push([{ k: 'since', ms: startMs }, planExpr(plan!)]);
    }
    total = when.length === 0 ? fallback : { k: 'case', when, else: fallback };
  }
  // finalPrice: (batch ? total * multiplier : total) * kept.
  const batched: PriceExpr = { k: 'case', when: [[{ k: 'batch' }, op('*', total, num(rules.batchMultiplier))]], else: total };
  return op('*', batched, num(rules.kept));
}

/**
 * `priceWithPlan` of the record's tokens: Tally's disjoint buckets rebuilt into the library's
 * (input is the total input, writes include 1-hour writes), each leaf the bucket minus what the
 * entry prices apart, every term `(price * tokens) / 1e6` summed per direction in the entry's order.
 */
function planExpr(plan: EntryPlan): PriceExpr {
  // Leaves as sums of the disjoint columns (exact integers): input less what is priced apart.
  const inputLeaf: TokenColumn[] = ['input_tokens'];
  if (!plan.hasCacheRead) inputLeaf.push('cache_read_tokens');
  if (!plan.hasCacheWrite) inputLeaf.push('cache_write_tokens');
  if (!plan.hasCacheWrite && !plan.hasCacheWrite1h) inputLeaf.push('cache_write_1h_tokens');
  const writeLeaf: TokenColumn[] = plan.hasCacheWrite1h ? ['cache_write_tokens'] : ['cache_write_tokens', 'cache_write_1h_tokens'];
  const leaves: Record<string, TokenColumn[]> = {
    input: inputLeaf,
    cacheRead: ['cache_read_tokens'],
    cacheWrite: writeLeaf,
    cacheWrite1h: ['cache_write_1h_tokens'],
    output: ['output_tokens'],
  };
  const totalInput: PriceExpr = { k: 'tokens', columns: ['input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cache_write_1h_tokens'] };
  let inputPrice: PriceExpr = num(0);
  let outputPrice: PriceExpr = num(0);
  for (const { leaf, output, price } of plan.terms) {
    const tokens: PriceExpr = { k: 'tokens', columns: leaves[leaf]! };
    let term: PriceExpr;
    if (typeof price === 'number') term = op('/', op('*', num(price), tokens), num(PER));
    else {
      // tieredPrice: 0 for no tokens, else (perMTok * tokens) / 1e6 at the last tier the total input passes.
      let perMTok: PriceExpr = num(price.base);
      const when: (readonly [PriceCond, PriceExpr])[] = [];
      for (let i = price.tiers.length - 1; i >= 0; i--) when.push([{ k: 'gt', a: totalInput, v: price.tiers[i]!.start }, num(price.tiers[i]!.price)]);
      if (when.length > 0) perMTok = { k: 'case', when, else: perMTok };
      const tiered: PriceExpr = { k: 'case', when: [[{ k: 'gt', a: tokens, v: 0 }, op('/', op('*', perMTok, tokens), num(1e6))]], else: num(0) };
      term = op('/', op('*', tiered, num(1e6)), num(PER));
    }
    if (output) outputPrice = op('+', outputPrice, term);
    else inputPrice = op('+', inputPrice, term);
  }
  return op('+', op('+', inputPrice, outputPrice), num(0));
}

/** Every number literal of an expression (ClickHouse checks it parses them exactly). */
export function exprNumbers(expr: PriceExpr, into: Set<number> = new Set()): Set<number> {
  switch (expr.k) {
    case 'num':
      into.add(expr.v);
      break;
    case 'op':
      exprNumbers(expr.a, into);
      exprNumbers(expr.b, into);
      break;
    case 'case':
      for (const [cond, then] of expr.when) {
        if (cond.k === 'gt') {
          exprNumbers(cond.a, into);
          into.add(cond.v);
        }
        exprNumbers(then, into);
      }
      exprNumbers(expr.else, into);
      break;
    default:
      break;
  }
  return into;
}
