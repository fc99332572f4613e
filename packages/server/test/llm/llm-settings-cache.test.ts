import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../src/bus/bus.js';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import type { LlmConfig } from '../../src/config/config.js';
import { createLlmSettings } from '../../src/llm/llm-settings.js';
import type { Db } from '../../src/store/database.js';
import { openRunStore } from '../runs/run-store-fixture.js';

const fallback: LlmConfig = { kind: 'offline' };
const admin = crypto.randomUUID();
const openAi = (model: string) => ({ provider: 'openai-compatible' as const, baseUrl: 'http://127.0.0.1:9/v1', model, timeoutMs: 5_000 });

/** Two nodes' settings over one database: what each node's next run would use. */
describe('LLM settings kept by each node', () => {
  let store: Awaited<ReturnType<typeof openRunStore>>;
  let db: Db;
  beforeAll(async () => {
    store = await openRunStore();
    db = store.db;
    await db.insertInto('users').values({ id: admin, email: 'admin@example.com', password_hash: 'x', role: 'admin' }).execute();
  });
  afterAll(async () => {
    await store.close();
  });

  it('answers from memory, and a change on one node reaches the other at once over the bus', async () => {
    const bus = createMemoryBus();
    let reads = 0;
    const counted = db.withPlugin({
      transformQuery: ({ node }) => {
        if (node.kind === 'SelectQueryNode') reads++;
        return node;
      },
      transformResult: async ({ result }) => result,
    });
    const nodeA = await createLlmSettings({ db: counted, bus, fallback, maxAgeMs: 60_000 });
    const nodeB = await createLlmSettings({ db: counted, bus, fallback, maxAgeMs: 60_000 });
    expect(await nodeB.current()).toEqual(fallback);
    const afterFirst = reads;
    for (let i = 0; i < 5; i++) expect(await nodeB.current()).toEqual(fallback);
    expect(reads).toBe(afterFirst);

    await nodeA.update(openAi('model-one'), admin);
    expect(await nodeB.current()).toMatchObject({ kind: 'openai-compatible', model: 'model-one' });
    expect(await nodeA.current()).toMatchObject({ kind: 'openai-compatible', model: 'model-one' });
    await nodeB.clear();
    expect(await nodeA.current()).toEqual(fallback);
    await nodeA.close();
    await nodeB.close();
  });

  it('a node that missed the message reads again once its memory is older than maxAgeMs, or after a bus reconnect', async () => {
    let clock = 1_000;
    const nodeA = await createLlmSettings({ db, bus: createMemoryBus(), fallback, maxAgeMs: 2_000, now: () => clock });
    // Node B's bus never hears node A's message; the test decides when its link comes back.
    let reconnected = () => {};
    const deafBus: Bus = {
      ...createMemoryBus(),
      onReconnect(handler) {
        reconnected = handler;
        return () => undefined;
      },
    };
    const nodeB = await createLlmSettings({ db, bus: deafBus, fallback, maxAgeMs: 2_000, now: () => clock });
    expect(await nodeB.current()).toEqual(fallback);
    await nodeA.update(openAi('model-two'), admin);
    clock += 1_000;
    expect(await nodeB.current()).toEqual(fallback);
    clock += 1_500;
    expect(await nodeB.current()).toMatchObject({ model: 'model-two' });

    await nodeA.update(openAi('model-three'), admin);
    expect(await nodeB.current()).toMatchObject({ model: 'model-two' });
    reconnected();
    expect(await nodeB.current()).toMatchObject({ model: 'model-three' });
    await nodeA.clear();
    await nodeA.close();
    await nodeB.close();
  });
});
