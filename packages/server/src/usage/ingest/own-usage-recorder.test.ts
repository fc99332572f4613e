import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { LlmCall } from '../../llm/language-model-client.js';
import { createGenaiPriceCatalog } from '../../pricing/genai-price-catalog.js';
import { SYSTEM_USER_ID } from '../../store/system-user.js';
import { createOwnUsageRecorder } from './own-usage-recorder.js';
import type { PricedUsageRecord } from '../usage-store.js';

const prices = createGenaiPriceCatalog();
const logger = pino({ level: 'silent' });

function call(feature: string): LlmCall {
  return {
    kind: 'openai-compatible',
    model: 'gpt-4o-mini',
    feature,
    startedAt: new Date('2026-11-01T10:00:00Z'),
    latencyMs: 120,
    status: 'ok',
    inputTokens: 1_000,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 200,
    reasoningTokens: 0,
  };
}

/** The store's side of the contract: who got which records, in how many inserts. */
function recordingStore(fail = false) {
  const inserts: Array<{ ownerId: string; records: PricedUsageRecord[] }> = [];
  return {
    inserts,
    async insert(ownerId: string, records: PricedUsageRecord[]) {
      if (fail) throw new Error('store is down');
      inserts.push({ ownerId, records });
      return { inserted: records.length, duplicates: 0 };
    },
  };
}

describe('own usage recorder', () => {
  it('writes the calls of many runs in one insert, priced, on the system owner', async () => {
    const store = recordingStore();
    const recorder = createOwnUsageRecorder({ store, prices, logger, flushMs: 60_000 });
    for (let i = 0; i < 10; i++) await recorder.record(call(i % 2 ? 'triage' : 'reporting'));
    expect(store.inserts).toHaveLength(0);
    await recorder.flush();
    expect(store.inserts).toHaveLength(1);
    expect(store.inserts[0]!.ownerId).toBe(SYSTEM_USER_ID);
    const records = store.inserts[0]!.records;
    expect(records).toHaveLength(10);
    expect(records.every((r) => r.record.project === 'tally' && r.costUsd !== null && r.costUsd > 0)).toBe(true);
    expect(new Set(records.map((r) => r.record.feature))).toEqual(new Set(['triage', 'reporting']));
  });

  it('writes on its own after the flush interval, and at once when the buffer is full', async () => {
    const store = recordingStore();
    const recorder = createOwnUsageRecorder({ store, prices, logger, flushMs: 20, maxBuffered: 3 });
    await recorder.record(call('triage'));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(store.inserts.map((i) => i.records.length)).toEqual([1]);
    for (let i = 0; i < 3; i++) await recorder.record(call('reporting'));
    await recorder.flush();
    expect(store.inserts.map((i) => i.records.length)).toEqual([1, 3]);
    await recorder.close();
  });

  it('logs a failed write and goes on', async () => {
    const store = recordingStore(true);
    const recorder = createOwnUsageRecorder({ store, prices, logger, flushMs: 60_000 });
    await recorder.record(call('triage'));
    await expect(recorder.close()).resolves.toBeUndefined();
  });
});
