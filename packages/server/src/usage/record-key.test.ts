import { describe, expect, it } from 'vitest';
import { UsageRecordSchema } from '@tally/protocol';
import { canonicalJson } from '../canonical-json.js';
import { recordKey } from './record-key.js';

const parse = (value: unknown) => UsageRecordSchema.parse(value);
const base = { ts: '2026-09-01T10:00:00Z', model: 'gpt-4o', inputTokens: 10, outputTokens: 2 };

describe('recordKey', () => {
  it('uses the provider and id when the record has an id', () => {
    expect(recordKey(parse({ ...base, id: 'chatcmpl-1', provider: 'openai' }))).toBe('id:openai:chatcmpl-1');
    expect(recordKey(parse({ ...base, id: 'chatcmpl-1' }))).toBe('id::chatcmpl-1');
  });

  it('hashes the content otherwise, independent of key order and of defaults written out', () => {
    const a = recordKey(parse(base));
    const b = recordKey(parse({ outputTokens: 2, inputTokens: 10, model: 'gpt-4o', ts: '2026-09-01T10:00:00Z', project: 'default', attempt: 1 }));
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b).toBe(a);
  });

  it('tells apart records that differ in any field', () => {
    expect(recordKey(parse({ ...base, outputTokens: 3 }))).not.toBe(recordKey(parse(base)));
    expect(recordKey(parse({ ...base, feature: 'x' }))).not.toBe(recordKey(parse(base)));
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });
});
