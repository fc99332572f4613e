import { createHash } from 'node:crypto';
import type { UsageRecord } from '@tally/protocol';

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
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) out[key] = sortKeys(member);
  }
  return out;
}
