import type { PackedStrings } from './packed-strings.js';

/**
 * How a store takes its rows: the SQL stores (PostgreSQL, PGlite) as elements of one JSON array
 * parameter, ClickHouse as JSONEachRow lines. A name, not a function, so it crosses to a thread.
 */
export type UsageRowForm = 'sql-json' | 'clickhouse-json-each-row';

/**
 * Records prepared for a store: priced, keyed (each key once) and serialised in the store's row
 * form, so that what waits for an insert is a few strings, not record objects, and merging
 * batches is concatenating them (usage/otlp/usage-write-batcher.ts).
 */
export interface UsageRows {
  form: UsageRowForm;
  /** Each row's record key, in row order; no key twice. */
  keys: PackedStrings;
  /** The rows in `form`, packed with its separator. */
  rows: PackedStrings;
  /** The UTC days (epoch day numbers) the records fall on, each once: what a session store rolls up. */
  days: number[];
}
