import { sql, type RawBuilder } from 'kysely';
import type { PriceCond, PriceExpr, RepriceFormula, StoredPair } from '../../pricing/reprice-formula.js';

/*
 * The re-pricing formula (pricing/reprice-formula.ts) in PostgreSQL over usage_records: float8
 * literals written as JavaScript writes them (the shortest text that reads back as the same
 * double, which PostgreSQL's float8 input does), token sums added as bigint and then made float8
 * (exact below 2^53), every operation in the formula's order. Model and provider are bound
 * parameters, never SQL text.
 */

function number(v: number): RawBuilder<unknown> {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`not a price: ${v}`);
  return sql`${sql.lit(v)}::float8`;
}

function expr(e: PriceExpr): RawBuilder<unknown> {
  switch (e.k) {
    case 'num':
      return number(e.v);
    case 'tokens':
      return sql`(${sql.join(
        e.columns.map((c) => sql`${sql.ref(c)}::bigint`),
        sql` + `,
      )})::float8`;
    case 'op':
      return sql`(${expr(e.a)} ${sql.raw(e.op)} ${expr(e.b)})`;
    case 'case':
      return sql`(CASE ${sql.join(
        e.when.map(([c, then]) => sql`WHEN ${cond(c)} THEN ${expr(then)}`),
        sql` `,
      )} ELSE ${expr(e.else)} END)`;
    case 'null':
      return sql`NULL::float8`;
  }
}

function cond(c: PriceCond): RawBuilder<unknown> {
  switch (c.k) {
    case 'gt':
      return sql`${expr(c.a)} > ${number(c.v)}`;
    case 'since':
      return sql`ts >= ${new Date(c.ms).toISOString()}::timestamptz`;
    case 'batch':
      return sql`batch`;
  }
}

function isPair(pair: StoredPair): RawBuilder<unknown> {
  return pair.provider === null ? sql`(model = ${pair.model} AND provider IS NULL)` : sql`(model = ${pair.model} AND provider = ${pair.provider})`;
}

/** The new cost of a record: its pair's expression; null for a pair the catalog does not know. */
export function sqlNewCost(formula: RepriceFormula): RawBuilder<number | null> {
  if (formula.priced.length === 0) return sql<null>`NULL::float8`;
  return sql<number | null>`(CASE ${sql.join(
    formula.priced.map(({ pair, expr: e }) => sql`WHEN ${isPair(pair)} THEN ${e ? expr(e) : sql`NULL::float8`}`),
    sql` `,
  )} ELSE NULL::float8 END)`;
}

/** Records the formula prices (all but the library's pairs, priced record by record). */
export function sqlPricedInDatabase(formula: RepriceFormula): RawBuilder<boolean> {
  if (formula.library.length === 0) return sql<boolean>`TRUE`;
  return sql<boolean>`NOT (${sql.join(formula.library.map(isPair), sql` OR `)})`;
}

/** Records of the listed pairs. */
export function sqlOfPairs(pairs: readonly StoredPair[]): RawBuilder<boolean> {
  if (pairs.length === 0) return sql<boolean>`FALSE`;
  return sql<boolean>`(${sql.join(pairs.map(isPair), sql` OR `)})`;
}
