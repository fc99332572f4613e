import { describe, expect, it } from 'vitest';
import { isAppError } from '../../app-error.js';
import { packStrings, packedText, unpackStrings } from '../packed-strings.js';
import type { UsageRows } from '../usage-row-form.js';
import { createUsageWriteBatcher } from './usage-write-batcher.js';

const W = '11111111-1111-4111-8111-111111111111';
const V = '22222222-2222-4222-8222-222222222222';

/** Rows as a request's would be: keyed `<prefix><i>`, each row a JSON object naming its key. */
function rowsOf(prefix: string, n: number): UsageRows {
  const keys = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  return { form: 'sql-json', keys: packStrings(keys, ''), rows: packStrings(keys.map((k) => JSON.stringify({ k })), ','), days: [] };
}

/** A store whose inserts finish when the test says, keeping each insert's keys and a key set like a real store's. */
function gatedStore() {
  const stored = new Set<string>();
  const inserts: Array<{ workspaceId: string; keys: string[]; text: string; finish(error?: Error): void }> = [];
  return {
    stored,
    inserts,
    store: {
      insertBatchSize: 1000,
      insertRows(workspaceId: string, batch: UsageRows) {
        const keys = unpackStrings(batch.keys);
        // Each row is still the one its key came with.
        expect(unpackStrings(batch.rows)).toEqual(keys.map((k) => JSON.stringify({ k })));
        return new Promise<{ inserted: number; duplicates: number }>((resolve, reject) => {
          inserts.push({
            workspaceId,
            keys,
            text: packedText(batch.rows),
            finish(error) {
              if (error) return reject(error);
              let inserted = 0;
              for (const key of keys) if (!stored.has(`${workspaceId}/${key}`)) (stored.add(`${workspaceId}/${key}`), inserted++);
              resolve({ inserted, duplicates: keys.length - inserted });
            },
          });
        });
      },
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('usage write batcher', () => {
  it('writes a lone request at once, and merges the requests that arrive meanwhile into one insert', async () => {
    const g = gatedStore();
    const written: Array<{ inserted: number; duplicates: number }> = [];
    const batcher = createUsageWriteBatcher({ store: g.store, onWritten: (_w, r) => written.push(r) });
    const first = batcher.write(W, rowsOf('a', 512));
    expect(g.inserts).toHaveLength(1);
    const rest = [batcher.write(W, rowsOf('b', 512)), batcher.write(W, rowsOf('c', 300)), batcher.write(W, rowsOf('d', 400))];
    expect(batcher.queuedRows).toBe(512 + 512 + 300 + 400);
    g.inserts[0]!.finish();
    await first;
    await tick();
    // b and c fit in one insert of at most 1,000 rows with b... b (512) + c (300) = 812; d would pass 1,000.
    expect(g.inserts.map((i) => i.keys.length)).toEqual([512, 812]);
    g.inserts[1]!.finish();
    await Promise.all(rest.slice(0, 2));
    await tick();
    expect(g.inserts.map((i) => i.keys.length)).toEqual([512, 812, 400]);
    g.inserts[2]!.finish();
    await rest[2];
    expect(written).toEqual([
      { inserted: 512, duplicates: 0 },
      { inserted: 812, duplicates: 0 },
      { inserted: 400, duplicates: 0 },
    ]);
    expect(batcher.queuedRows).toBe(0);
  });

  it('counts a key sent by two merged requests once, and a replay of stored keys as duplicates', async () => {
    const g = gatedStore();
    const written: Array<{ inserted: number; duplicates: number }> = [];
    const batcher = createUsageWriteBatcher({ store: g.store, onWritten: (_w, r) => written.push(r) });
    const first = batcher.write(W, rowsOf('a', 10));
    const both = [batcher.write(W, rowsOf('x', 5)), batcher.write(W, rowsOf('x', 5)), batcher.write(W, rowsOf('a', 10))];
    g.inserts[0]!.finish();
    await first;
    await tick();
    expect(g.inserts[1]!.keys).toHaveLength(15);
    // The first request's text whole, then the second's rows of keys not taken yet (none), then the third's.
    expect(g.inserts[1]!.text).toBe([packedText(rowsOf('x', 5).rows), packedText(rowsOf('a', 10).rows)].join(','));
    g.inserts[1]!.finish();
    await Promise.all(both);
    expect(written).toEqual([
      { inserted: 10, duplicates: 0 },
      { inserted: 5, duplicates: 15 },
    ]);
    expect(g.stored.size).toBe(15);
  });

  it('keeps workspaces apart: each has its own writer', async () => {
    const g = gatedStore();
    const batcher = createUsageWriteBatcher({ store: g.store });
    void batcher.write(W, rowsOf('a', 3));
    void batcher.write(V, rowsOf('a', 3));
    expect(g.inserts.map((i) => i.workspaceId)).toEqual([W, V]);
    for (const i of g.inserts) i.finish();
  });

  it('refuses with RATE_LIMITED when the workspace already has its bound waiting, and takes a lone large request', async () => {
    const g = gatedStore();
    const batcher = createUsageWriteBatcher({ store: g.store, maxQueuedRows: 1000 });
    const big = batcher.write(W, rowsOf('big', 5000));
    const waiting = batcher.write(W, rowsOf('w', 900));
    const refused = await batcher.write(W, rowsOf('r', 200)).catch((e: unknown) => e);
    expect(isAppError(refused) && refused.code).toBe('RATE_LIMITED');
    g.inserts[0]!.finish();
    await big;
    await tick();
    g.inserts[1]!.finish();
    await waiting;
  });

  it('rejects every request of a failed insert, and goes on with the next', async () => {
    const g = gatedStore();
    const batcher = createUsageWriteBatcher({ store: g.store });
    const first = batcher.write(W, rowsOf('a', 3));
    const merged = [batcher.write(W, rowsOf('b', 3)), batcher.write(W, rowsOf('c', 3))];
    g.inserts[0]!.finish();
    await first;
    await tick();
    expect(g.inserts[1]!.keys).toHaveLength(6);
    g.inserts[1]!.finish(new Error('connection lost'));
    for (const m of merged) await expect(m).rejects.toThrow('connection lost');
    expect(batcher.queuedRows).toBe(0);
    const next = batcher.write(W, rowsOf('b', 3));
    g.inserts[2]!.finish();
    await next;
    expect(g.stored.has(`${W}/b0`)).toBe(true);
  });

  it('on a session store, answers after each insert and rolls up once per interval and at the end of a busy spell', async () => {
    const g = gatedStore();
    const finishes: number[] = [];
    let clock = 0;
    const visible: string[] = [];
    const store = {
      insertBatchSize: 1000,
      insertRows: g.store.insertRows,
      openIngest: (workspaceId: string) => ({ insertRows: (batch: UsageRows) => g.store.insertRows(workspaceId, batch), finish: async () => void finishes.push(clock) }),
    };
    const batcher = createUsageWriteBatcher({ store, now: () => clock, onVisible: (w) => visible.push(w) });
    const first = batcher.write(W, rowsOf('a', 10));
    const second = batcher.write(W, rowsOf('b', 10));
    g.inserts[0]!.finish();
    await first;
    // Answered before any rollup: the records are stored; the rollup follows.
    expect(finishes).toEqual([]);
    clock = 1500;
    await tick();
    g.inserts[1]!.finish();
    await second;
    await tick();
    await tick();
    // Past the interval after the second insert, then at the spell's end; announced once, when new records were rolled up.
    expect(finishes).toEqual([1500, 1500]);
    expect(visible).toEqual([W]);
  });

  it('spaces rollups by their cost: the next is due no sooner than 9x the last one took, at most 30 s', async () => {
    const g = gatedStore();
    const finishes: number[] = [];
    let clock = 0;
    let rollupTakes = 0;
    const store = {
      insertBatchSize: 1000,
      insertRows: g.store.insertRows,
      openIngest: (workspaceId: string) => ({
        insertRows: (batch: UsageRows) => g.store.insertRows(workspaceId, batch),
        finish: async () => {
          finishes.push(clock);
          clock += rollupTakes;
        },
      }),
    };
    const batcher = createUsageWriteBatcher({ store, now: () => clock });
    // A busy spell: a request is always waiting when an insert ends, so the writer never idles.
    void batcher.write(W, rowsOf('k0-', 1));
    let next = 1;
    const insertAt = async (at: number) => {
      void batcher.write(W, rowsOf(`k${next++}-`, 1));
      clock = at;
      g.inserts.at(-1)!.finish();
      for (let i = 0; i < 5; i++) await tick();
    };
    rollupTakes = 500;
    await insertAt(1000); // due (1 s): took 500 ms, so the next is due 4.5 s after it ended
    expect(finishes).toEqual([1000]);
    await insertAt(4000);
    expect(finishes).toEqual([1000]);
    rollupTakes = 10_000;
    await insertAt(6000); // 1,500 + 4,500 = 6,000: due; took 10 s, so the next waits the 30 s cap
    expect(finishes).toEqual([1000, 6000]);
    await insertAt(40_000);
    expect(finishes).toEqual([1000, 6000]);
    rollupTakes = 0;
    await insertAt(46_000);
    expect(finishes).toEqual([1000, 6000, 46_000]);
    g.inserts.at(-1)!.finish();
  });
});
