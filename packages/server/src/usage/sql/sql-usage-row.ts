import { wellFormed } from '../well-formed-text.js';
import type { UsageColumnSpec } from '../usage-columns.js';
import type { PricedUsageRecord } from '../usage-store.js';

/**
 * A record as sent in the SQL insert's JSON parameter (json_to_recordset): the columns of
 * usage_records under their short names, every column of USAGE_COLUMNS (the type makes
 * `toJsonRow` name each one).
 */
type JsonRow = { [C in UsageColumnSpec as C['short']]: string | number | boolean | null };

/**
 * One record's element of the SQL insert's JSON array: THE serialisation of a SQL row, used by
 * the object insert (sql-usage-insert.ts) and by OTLP's reader thread alike.
 * JSON.stringify escapes a lone surrogate as `\udXXX`, which PostgreSQL's JSON parser refuses;
 * bound as a text parameter it would become U+FFFD. The rare row whose text holds such an escape
 * is rebuilt with every string made well-formed, so both paths store the same.
 */
export function sqlJsonRow(priced: PricedUsageRecord): string {
  const json = JSON.stringify(toJsonRow(priced, same));
  return json.includes('\\ud') ? JSON.stringify(toJsonRow(priced, wellFormed)) : json;
}

/**
 * Several records' elements joined by SQL_ROW_SEPARATOR: the same text as their sqlJsonRow joined,
 * from one JSON.stringify over the rows (about 20% faster than one call per row), for the object
 * insert, which needs no row boundaries.
 */
export function sqlJsonRowsText(records: readonly PricedUsageRecord[]): string {
  const json = JSON.stringify(records.map((r) => toJsonRow(r, same)));
  const safe = json.includes('\\ud') ? JSON.stringify(records.map((r) => toJsonRow(r, wellFormed))) : json;
  // The array's elements without its brackets.
  return safe.slice(1, -1);
}

const same = (value: string) => value;

/** What joins sqlJsonRow's rows into the JSON array (packed rows use it as their separator). */
export const SQL_ROW_SEPARATOR = ',';

/** Module-level, not a closure made per row (the closure cost its allocation and tsx's __name on every row). */
function optionalText(value: string | undefined, text: (value: string) => string): string | null {
  return value === undefined ? null : text(value);
}

/** Written out as one literal: a loop over USAGE_COLUMNS built rows about 3x slower. */
function toJsonRow({ record: r, key, costUsd }: PricedUsageRecord, text: (value: string) => string): JsonRow {
  return {
    k: text(key),
    ts: r.ts,
    p: optionalText(r.provider, text),
    m: text(r.model),
    pr: text(r.project),
    f: text(r.feature),
    u: optionalText(r.user, text),
    i: r.inputTokens,
    o: r.outputTokens,
    cr: r.cacheReadTokens,
    cw: r.cacheWriteTokens,
    cw1: r.cacheWrite1hTokens,
    rt: r.reasoningTokens ?? null,
    l: r.latencyMs ?? null,
    s: r.status,
    it: r.interactive,
    b: r.batch,
    mo: r.maxOutputTokens ?? null,
    ph: optionalText(r.promptPrefixHash, text),
    pt: r.prefixTokens ?? null,
    a: r.attempt,
    sc: r.costUsd ?? null,
    c: costUsd,
  };
}
