import { describe, expect, it } from 'vitest';
import type { PricedUsageRecord } from '../usage-store.js';
import { sqlJsonRow, sqlJsonRowsText } from './sql-usage-row.js';

const record = (project: string, key: string): PricedUsageRecord => ({
  key,
  costUsd: 0.25,
  record: { ts: '2026-09-01T10:00:00.000Z', model: 'gpt-4.1', provider: 'openai', project, feature: 'default', inputTokens: 10, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, status: 'ok', interactive: true, batch: false, attempt: 1 },
});

describe('SQL rows', () => {
  it('serialises records one by one and many at once to the same text, lone surrogates made well-formed either way', () => {
    const records = [record('plain', 'k1'), record('lone \ud800 surrogate', 'k2\udc00'), record('quote " and \\ back', 'k3')];
    const one = records.map(sqlJsonRow);
    expect(sqlJsonRowsText(records)).toBe(one.join(','));
    expect(sqlJsonRowsText(records.slice(0, 1))).toBe(one[0]);
    expect(JSON.parse(one[1]!)).toMatchObject({ pr: 'lone \ufffd surrogate', k: 'k2\ufffd' });
    expect(one[1]).not.toContain('\\ud');
    expect(JSON.parse(one[0]!)).toMatchObject({ k: 'k1', ts: '2026-09-01T10:00:00.000Z', p: 'openai', m: 'gpt-4.1', i: 10, o: 2, c: 0.25, it: true, b: false, rt: null });
  });
});
