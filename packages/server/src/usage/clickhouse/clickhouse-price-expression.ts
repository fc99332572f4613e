import type { ClickHouseClient } from '@clickhouse/client';
import { exprNumbers, type PriceCond, type PriceExpr, type RepriceFormula, type StoredPair } from '../../pricing/reprice-formula.js';
import { clickHouseSql, float, identifier, int, list, string, type ClickHouseSql } from './clickhouse-literals.js';

/*
 * The re-pricing formula (pricing/reprice-formula.ts) in ClickHouse over usage_records: Float64
 * literals, token sums added as UInt64 then made Float64 (exact below 2^53), every operation in
 * the formula's order. ClickHouse's float parser is not always correctly rounded, so a job first
 * asks the server to read back every literal it will use (`checkLiteralsExact`).
 */

function expr(e: PriceExpr): ClickHouseSql {
  switch (e.k) {
    case 'num':
      return float(e.v);
    case 'tokens': {
      const [first, ...rest] = e.columns.map((c) => identifier(c));
      let sum = clickHouseSql`toUInt64(${first!})`;
      for (const column of rest) sum = clickHouseSql`${sum} + ${column}`;
      return clickHouseSql`toFloat64(${sum})`;
    }
    case 'op': {
      const a = expr(e.a);
      const b = expr(e.b);
      if (e.op === '+') return clickHouseSql`(${a} + ${b})`;
      if (e.op === '*') return clickHouseSql`(${a} * ${b})`;
      return clickHouseSql`(${a} / ${b})`;
    }
    case 'case':
      return clickHouseSql`multiIf(${list(e.when.flatMap(([c, then]) => [cond(c), expr(then)]))}, ${expr(e.else)})`;
    case 'null':
      return clickHouseSql`CAST(NULL AS Nullable(Float64))`;
  }
}

function cond(c: PriceCond): ClickHouseSql {
  switch (c.k) {
    case 'gt':
      return clickHouseSql`${expr(c.a)} > ${float(c.v)}`;
    case 'since':
      return clickHouseSql`ts_ms >= ${int(c.ms)}`;
    case 'batch':
      return clickHouseSql`batch = 1`;
  }
}

function isPair(pair: StoredPair): ClickHouseSql {
  return pair.provider === null
    ? clickHouseSql`(model = ${string(pair.model)} AND isNull(provider))`
    : clickHouseSql`(model = ${string(pair.model)} AND ifNull(provider, '') = ${string(pair.provider)} AND isNotNull(provider))`;
}

/** The new cost of a record: its pair's expression; null for a pair the catalog does not know. */
export function clickHouseNewCost(formula: RepriceFormula): ClickHouseSql {
  const nothing = clickHouseSql`CAST(NULL AS Nullable(Float64))`;
  if (formula.priced.length === 0) return nothing;
  return clickHouseSql`multiIf(${list(formula.priced.flatMap(({ pair, expr: e }) => [isPair(pair), e ? clickHouseSql`toNullable(${expr(e)})` : nothing]))}, ${nothing})`;
}

/** Records the formula prices (all but the library's pairs). */
export function clickHousePricedInDatabase(formula: RepriceFormula): ClickHouseSql {
  if (formula.library.length === 0) return clickHouseSql`1`;
  return clickHouseSql`NOT (${clickHouseOfPairs(formula.library)})`;
}

/** Records of the listed pairs. */
export function clickHouseOfPairs(pairs: readonly StoredPair[]): ClickHouseSql {
  if (pairs.length === 0) return clickHouseSql`0`;
  let any = isPair(pairs[0]!);
  for (const pair of pairs.slice(1)) any = clickHouseSql`${any} OR ${isPair(pair)}`;
  return clickHouseSql`(${any})`;
}

/** Throws unless the server reads every number literal of the formula as exactly the double it stands for. */
export async function checkLiteralsExact(client: ClickHouseClient, formula: RepriceFormula): Promise<void> {
  const numbers = new Set<number>();
  for (const { expr: e } of formula.priced) if (e) exprNumbers(e, numbers);
  const values = [...numbers];
  if (values.length === 0) return;
  const result = await client.query({ query: clickHouseSql`SELECT [${list(values.map(float))}] AS v`.text, format: 'JSONEachRow' });
  const [row] = await result.json<{ v: number[] }>();
  values.forEach((value, i) => {
    if (!Object.is(row?.v[i], value)) throw new Error(`ClickHouse reads the price ${value} as ${String(row?.v[i])}: re-pricing there would not match the catalog`);
  });
}
