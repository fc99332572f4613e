import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createMemoryUsageStore } from '../../../test/support/memory-usage-store.js';
import { createGenaiPriceCatalog } from '../../pricing/genai-price-catalog.js';
import { generateUsage } from '../demo/generate-usage.js';
import { createUsageIngester, MAX_LISTED_ERRORS, type IngestProgress } from './ingest-usage.js';
import type { PricedUsageRecord, UsageStore } from '../usage-store.js';

const prices = createGenaiPriceCatalog();
const OWNER = 'owner-a';
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ ts: '2026-09-01T10:00:00Z', model: 'gpt-4o', provider: 'openai', inputTokens: 1000, outputTokens: 100, ...fields });

/** Records every batch handed to the store, passing it through. */
function spyingStore(inner: UsageStore): UsageStore & { batches: PricedUsageRecord[][] } {
  const batches: PricedUsageRecord[][] = [];
  return { ...inner, batches, insert: (owner, records) => (batches.push(records), inner.insert(owner, records)) };
}

describe('createUsageIngester', () => {
  it('stores good lines priced, reports bad lines with their number, and lists unpriced models', async () => {
    const store = createMemoryUsageStore();
    const ingester = createUsageIngester({ store, prices });
    const text = [line({ id: 'a' }), 'not json', '', line({ id: 'b', model: 'acme-llm' }), line({ id: 'c', inputTokens: -1 })].join('\n');
    const summary = await ingester.ingest(OWNER, [text]);
    expect(summary).toEqual({
      lines: 4,
      inserted: 2,
      duplicates: 0,
      rejected: 2,
      errors: [
        { line: 2, reason: expect.stringMatching(/^invalid JSON/) },
        { line: 5, reason: expect.stringMatching(/^inputTokens: /) },
      ],
      unpricedModels: ['acme-llm'],
    });
    const rows = await store.aggregate(OWNER);
    const gpt = rows.find((r) => r.model === 'gpt-4o');
    // 1000 * 2.5 + 100 * 10 per 1e6
    expect(gpt?.costUsd).toBeCloseTo(0.0035, 12);
    expect(rows.find((r) => r.model === 'acme-llm')).toMatchObject({ costUsd: 0, unpricedRequests: 1 });
  });

  it('is idempotent: the same file again, and a repeat inside a file, count as duplicates', async () => {
    const store = createMemoryUsageStore();
    const ingester = createUsageIngester({ store, prices });
    const text = [line({ id: 'a' }), line({ id: 'a' }), line({ outputTokens: 7 })].join('\n') + '\n';
    expect(await ingester.ingest(OWNER, [text])).toMatchObject({ lines: 3, inserted: 2, duplicates: 1 });
    expect(await ingester.ingest(OWNER, [text])).toMatchObject({ lines: 3, inserted: 0, duplicates: 3 });
    expect((await store.overview(OWNER)).records).toBe(2);
  });

  it('inserts in batches and reports progress with exact byte and line counts', async () => {
    const store = spyingStore(createMemoryUsageStore());
    const ingester = createUsageIngester({ store, prices });
    const text = Array.from({ length: 2500 }, (_, i) => line({ id: `r${i}` })).join('\n') + '\n';
    const progress: IngestProgress[] = [];
    const summary = await ingester.ingest(OWNER, Readable.from([Buffer.from(text)]), { onProgress: (p) => progress.push(p) });
    expect(summary).toMatchObject({ lines: 2500, inserted: 2500, rejected: 0 });
    expect(store.batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(progress.map((p) => p.inserted)).toEqual([1000, 2000, 2500, 2500]);
    expect(progress.at(-1)).toEqual({ bytes: Buffer.byteLength(text), lines: 2500, inserted: 2500, duplicates: 0, rejected: 0 });
  });

  it('lists the first 100 line errors and keeps the counts exact', async () => {
    const ingester = createUsageIngester({ store: createMemoryUsageStore(), prices });
    const text = Array.from({ length: 250 }, (_, i) => (i % 2 === 0 ? '{' : line({ id: `r${i}` }))).join('\n');
    const summary = await ingester.ingest(OWNER, [text]);
    expect(summary.rejected).toBe(125);
    expect(summary.inserted).toBe(125);
    expect(summary.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(summary.errors[99]?.line).toBe(199);
  });

  it('answers empty input with a summary of zero lines', async () => {
    const ingester = createUsageIngester({ store: createMemoryUsageStore(), prices });
    for (const source of [[], [''], ['\n\n  \n']]) {
      expect(await ingester.ingest(OWNER, source)).toEqual({ lines: 0, inserted: 0, duplicates: 0, rejected: 0, errors: [], unpricedModels: [] });
    }
  });

  it('stops on abort, keeping the batches already stored', async () => {
    const store = createMemoryUsageStore();
    const ingester = createUsageIngester({ store, prices, batchSize: 10 });
    const controller = new AbortController();
    async function* slow() {
      for (let i = 0; i < 100; i++) {
        if (i === 25) controller.abort(new Error('stopped by test'));
        yield line({ id: `r${i}` }) + '\n';
      }
    }
    await expect(ingester.ingest(OWNER, slow(), { signal: controller.signal })).rejects.toThrow('stopped by test');
    expect((await store.overview(OWNER)).records).toBe(20);
  });

  it('fails with the error of the store when an insert fails while the next batch is read, keeping earlier batches', async () => {
    const inner = createMemoryUsageStore();
    let calls = 0;
    const store: UsageStore = {
      ...inner,
      insert: async (owner, records) => {
        calls += 1;
        if (calls === 2) throw new Error('store down');
        return inner.insert(owner, records);
      },
    };
    const ingester = createUsageIngester({ store, prices, batchSize: 10 });
    const text = Array.from({ length: 45 }, (_, i) => line({ id: `r${i}` })).join('\n');
    await expect(ingester.ingest(OWNER, [text])).rejects.toThrow('store down');
    expect(calls).toBe(2);
    expect((await inner.overview(OWNER)).records).toBe(10);
  });

  it('batches by the preferred size of the store when none is given', async () => {
    const store = spyingStore({ ...createMemoryUsageStore(), insertBatchSize: 7 });
    const text = Array.from({ length: 16 }, (_, i) => line({ id: `r${i}` })).join('\n');
    await createUsageIngester({ store, prices }).ingest(OWNER, [text]);
    expect(store.batches.map((b) => b.length)).toEqual([7, 7, 2]);
  });

  it('ingests generated traffic with every model priced', async () => {
    const store = createMemoryUsageStore();
    const ingester = createUsageIngester({ store, prices });
    const records = [...generateUsage({ seed: 3, days: 2, end: new Date('2026-10-01T00:00:00Z'), requestsPerDay: 300 })];
    const summary = await ingester.ingest(OWNER, [records.map((r) => JSON.stringify(r)).join('\n')]);
    expect(summary).toMatchObject({ lines: records.length, inserted: records.length, rejected: 0, unpricedModels: [] });
  });

  it('stores through the session a store opens, and finishes it once: after the last batch, and after a failure', async () => {
    const inner = createMemoryUsageStore();
    const log: string[] = [];
    const store = (failAt: number | null): UsageStore => ({
      ...inner,
      openIngest: (owner) => {
        let n = 0;
        return {
          insert: async (records) => {
            n += 1;
            log.push(`insert ${records.length}`);
            if (n === failAt) throw new Error('store down');
            return inner.insert(owner, records);
          },
          insertRows: (rows) => inner.insertRows(owner, rows),
          finish: async () => void log.push('finish'),
        };
      },
    });
    const text = Array.from({ length: 25 }, (_, i) => line({ id: `s${i}` })).join('\n');
    expect(await createUsageIngester({ store: store(null), prices, batchSize: 10 }).ingest(OWNER, [text])).toMatchObject({ inserted: 25 });
    expect(log).toEqual(['insert 10', 'insert 10', 'insert 5', 'finish']);
    log.length = 0;
    await expect(createUsageIngester({ store: store(2), prices, batchSize: 10 }).ingest('owner-b', [text])).rejects.toThrow('store down');
    expect(log).toEqual(['insert 10', 'insert 10', 'finish']);
  });
});
