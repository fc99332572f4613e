import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import {
  TableNode,
  type InsertQueryNode,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RawNode,
  type RootOperationNode,
  type UnknownRow,
  type UpdateQueryNode,
} from 'kysely';
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

/** The statements that write (insert, update, delete), each as its writes by table, CTEs first. */
class WriteCounter implements KyselyPlugin {
  writes: string[] = [];
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    const parts = [...(('with' in node && node.with?.expressions) || []).map((cte) => cte.expression), node].map(writeOf).filter((w) => w !== null);
    if (parts.length > 0) this.writes.push(parts.join(' + '));
    return node;
  }
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}

function writeOf(node: OperationNode): string | null {
  if (node.kind === 'InsertQueryNode') return `insert ${(node as InsertQueryNode).into?.table.identifier.name}`;
  if (node.kind === 'UpdateQueryNode') {
    const table = (node as UpdateQueryNode).table;
    return table && TableNode.is(table) ? `update ${table.table.identifier.name}` : 'update';
  }
  if (node.kind === 'DeleteQueryNode') return 'delete';
  // A fixed SQL text (the event log's append): its writes in the order the text names them.
  if (node.kind === 'RawNode') {
    const text = (node as RawNode).sqlFragments.join('?').toLowerCase();
    const writes = [...text.matchAll(/\b(insert into|(?<!do )update|delete from)\s+"?(\w+)/g)].map((m) => `${m[1]!.split(' ')[0]} ${m[2]}`);
    return writes.length > 0 ? writes.join(' + ') : null;
  }
  return null;
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

  it('costs its claim and its end statement: no write per token, per step or per checkpoint', async () => {
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
    // One write of the whole log, inside the end statement.
    expect(log.writes.map((w) => ({ events: w.seqs.length, inTransaction: w.inTransaction }))).toEqual([{ events: delivered.length, inTransaction: true }]);
    expect(counter.writes.filter((w) => w.includes('run_checkpoints'))).toEqual([]);
    // The claim, then the end's one statement (run status and last seq, answer, the log, thread).
    // Every other write is the worker's poll (a claim of another run, the requeue of expired leases:
    // update runs), which may be issued while the end runs (writes are counted as they are issued).
    expect(counter.writes[0]).toBe('update runs');
    expect(counter.writes.filter((w) => w !== 'update runs')).toEqual(['update runs + insert messages + insert run_events + update threads']);
  });
});
