import { CLICKHOUSE_ROW_SEPARATOR, clickHouseJsonRow } from './clickhouse/clickhouse-schema.js';
import { joinPacked, packStrings, selectPacked, slicePacked, unpackStrings, type PackedStrings } from './packed-strings.js';
import { SQL_ROW_SEPARATOR, sqlJsonRow } from './sql/sql-usage-row.js';
import type { PricedUsageRecord } from './usage-store.js';
import type { UsageRowForm, UsageRows } from './usage-row-form.js';
import { wellFormed } from './well-formed-text.js';

interface RowFormSpec {
  separator: string;
  /** The one serialisation of a row in this form; RangeError for a value the store cannot hold. */
  row(workspaceId: string, priced: PricedUsageRecord): string;
}

const ROW_FORMS: Readonly<Record<UsageRowForm, RowFormSpec>> = {
  'sql-json': { separator: SQL_ROW_SEPARATOR, row: (_workspaceId, priced) => sqlJsonRow(priced) },
  'clickhouse-json-each-row': { separator: CLICKHOUSE_ROW_SEPARATOR, row: clickHouseJsonRow },
};

const DAY_MS = 86_400_000;

/** Builds UsageRows a record at a time: the first record of a key is kept, a later one is not. */
export interface UsageRowsBuilder {
  /** False when the key was added before (the record is a repeat); throws what the row form throws, adding nothing. */
  add(priced: PricedUsageRecord): boolean;
  readonly size: number;
  finish(): UsageRows;
}

export function createUsageRowsBuilder(form: UsageRowForm, workspaceId: string): UsageRowsBuilder {
  const spec = ROW_FORMS[form];
  const keys = new Set<string>();
  const rows: string[] = [];
  const days = new Set<number>();
  return {
    add(priced) {
      // Both stores keep a key as well-formed text (a lone surrogate as U+FFFD): two keys that
      // differ only there are one key to the store, so here too.
      const key = wellFormed(priced.key);
      if (keys.has(key)) return false;
      const row = spec.row(workspaceId, priced);
      keys.add(key);
      rows.push(row);
      days.add(Math.floor(Date.parse(priced.record.ts) / DAY_MS));
      return true;
    },
    get size() {
      return rows.length;
    },
    finish() {
      return { form, keys: packStrings([...keys], ''), rows: packStrings(rows, spec.separator), days: [...days] };
    },
  };
}

/** Priced records as a store's rows, each key once (the first record of a key wins, as a store's key check would). */
export function toUsageRows(form: UsageRowForm, workspaceId: string, records: readonly PricedUsageRecord[]): UsageRows {
  const builder = createUsageRowsBuilder(form, workspaceId);
  for (const priced of records) builder.add(priced);
  return builder.finish();
}

/** The rows whose index `keep` accepts (keys, rows and days kept together); the same object when it keeps all. */
export function selectUsageRows(rows: UsageRows, keep: (i: number) => boolean): UsageRows {
  const kept = selectPacked(rows.keys, keep);
  if (kept === rows.keys) return rows;
  // Days stay as they were: a day of a dropped row is rolled up for nothing, never missed.
  return { form: rows.form, keys: kept, rows: selectPacked(rows.rows, keep), days: rows.days };
}

/** Rows [from, to). */
export function sliceUsageRows(rows: UsageRows, from: number, to: number): UsageRows {
  return { form: rows.form, keys: slicePacked(rows.keys, from, to), rows: slicePacked(rows.rows, from, to), days: rows.days };
}

/**
 * Batches of one form merged into one as they come, each key once: a later batch's copy of a key
 * an earlier batch holds is dropped (the first copy is the one written, as the store's own key
 * check would keep it). A batch whose keys are all new goes in whole; `finish` concatenates the
 * texts, rebuilding nothing. Adding does the key work, so a merge built while an insert runs is
 * ready the moment that insert ends.
 */
export interface UsageRowsMerger {
  add(rows: UsageRows): void;
  /** Rows added, copies of a key included. */
  readonly added: number;
  finish(): UsageRows;
}

export function createUsageRowsMerger(form: UsageRowForm): UsageRowsMerger {
  const taken = new Set<string>();
  const kept: UsageRows[] = [];
  let added = 0;
  return {
    add(rows) {
      if (rows.form !== form) throw new TypeError(`rows of ${rows.form} merged with rows of ${form}`);
      const fresh = unpackStrings(rows.keys).map((key) => {
        if (taken.has(key)) return false;
        taken.add(key);
        return true;
      });
      kept.push(selectUsageRows(rows, (i) => fresh[i]!));
      added += usageRowCount(rows);
    },
    get added() {
      return added;
    },
    finish() {
      if (kept.length === 1) return kept[0]!;
      return {
        form,
        keys: joinPacked(kept.map((b) => b.keys), ''),
        rows: joinPacked(kept.map((b) => b.rows), ROW_FORMS[form].separator),
        days: [...new Set(kept.flatMap((b) => b.days))],
      };
    },
  };
}

/** Batches of one form as one, each key once (createUsageRowsMerger, all at once). */
export function mergeUsageRows(batches: readonly UsageRows[]): UsageRows {
  const merger = createUsageRowsMerger(batches[0]!.form);
  for (const batch of batches) merger.add(batch);
  return merger.finish();
}

export function usageRowCount(rows: UsageRows): number {
  return rows.keys.ends.length;
}
