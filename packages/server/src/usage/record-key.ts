import { createHash } from 'node:crypto';
import type { UsageRecord } from '@tally/protocol';
import { canonicalJson } from '../canonical-json.js';

/**
 * The idempotency key of a record, unique per owner in the store. With a provider id it is
 * `id:<provider>:<id>` (ids are unique per provider, not across them); without one it is a
 * `sha256:` of the record's canonical JSON, so re-ingesting the same file adds nothing while two
 * calls that differ in any field stay apart. The record is the parsed one (defaults applied), so
 * a field written out at its default and the same field left out give the same key.
 */
export function recordKey(record: UsageRecord): string {
  if (record.id !== undefined) return `id:${record.provider ?? ''}:${record.id}`;
  return `sha256:${createHash('sha256').update(canonicalJson(record)).digest('hex')}`;
}

/** JSON with object keys sorted at every level and undefined members left out. */
