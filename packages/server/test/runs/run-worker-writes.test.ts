import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { TableNode, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import type { RunEvent } from '@tally/protocol';
import { createSupervisor } from '../../src/agents/supervisor.js';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { channels } from '../../src/bus/bus.js';
import { createSqlRunEventLog } from '../../src/runs/run-event-log.js';
import { createRunWorker } from '../../src/runs/run-worker.js';
import type { Db } from '../../src/store/database.js';
import { fixedPriceCatalog } from '../analysis/fixtures.js';
import { seedTeamUsage } from '../agents/supervisor-fixtures.js';
import { createMemoryUsageStore } from '../support/memory-usage-store.js';
import { countingLog, insertRun, openRunStore } from './run-store-fixture.js';

/** Counts the statements that write (insert, update, delete), by table. */
class WriteCounter implements KyselyPlugin {
  writes: string[] = [];
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'InsertQueryNode') this.writes.push(`insert ${node.into?.table.identifier.name}`);
    if (node.kind === 'UpdateQueryNode' && node.table && TableNode.is(node.table)) this.writes.push(`update ${node.table.table.identifier.name}`);
    if (node.kind === 'DeleteQueryNode') this.writes.push('delete');
    return node;
  }
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}

describe('a run that completes within the flush interval', () => {
  let store: Awaited<ReturnType<typeof openRunStore>>;
  let db: Db;
  beforeAll(async () => {
    store = await openRunStore();
    db = store.db;
  });
  afterAll(async () => {
    await store.close();
  });

  it('costs its claim and its end transaction: no write per token, per step or per checkpoint', async () => {
    const run = await insertRun(db, 'queued');
    const usage = createMemoryUsageStore();
    const prices = fixedPriceCatalog();
    await seedTeamUsage(usage, prices, run.userId);
    const counter = new WriteCounter();
    const counted = db.withPlugin(counter);
    const log = countingLog(createSqlRunEventLog(counted));
    const bus = createMemoryBus();
    const delivered: RunEvent[] = [];
    await bus.subscribe(channels.runEvents(run.id), (raw) => delivered.push(JSON.parse(raw) as RunEvent));
    const worker = createRunWorker({
      db: counted,
      bus,
      eventLog: log,
      pipeline: createSupervisor({ usage, prices, llm: null, now: () => new Date('2025-03-11T00:00:00Z') }),
      logger: pino({ level: 'silent' }),
      concurrency: 1,
      nodeId: 'node-a',
      // Long enough that the run ends inside it, however busy the machine is.
      eventFlushMs: 30_000,
    });
    await worker.start();
    await expect.poll(() => delivered.at(-1)?.type, { timeout: 20_000 }).toBe('run_completed');
    await worker.stop();
    const seqs = delivered.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(delivered.filter((e) => e.type === 'message_delta').length).toBeGreaterThan(1);
    console.info(`offline run: ${delivered.length} events; writes: ${counter.writes.join(', ')}`);
    // One write of the whole log, inside the end transaction.
    expect(log.writes.map((w) => ({ events: w.seqs.length, inTransaction: w.inTransaction }))).toEqual([{ events: delivered.length, inTransaction: true }]);
    expect(counter.writes.filter((w) => w.includes('run_checkpoints'))).toEqual([]);
    // The claim, then the end transaction's own statements (run status, log, answer, thread);
    // after them only the worker's attempts to claim another run.
    expect(counter.writes.slice(0, 5)).toEqual(['update runs', 'update runs', 'update runs', 'insert messages', 'update threads']);
    expect(counter.writes.slice(5).every((w) => w === 'update runs')).toBe(true);
  });
});
