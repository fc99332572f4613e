import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type RunEvent } from '@tally/protocol';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { channels } from '../../src/bus/bus.js';
import { createFlushClock } from '../../src/runs/flush-clock.js';
import { createRunEmitter } from '../../src/runs/run-emitter.js';
import { appendRunEvents, createSqlRunEventLog, listRunEvents } from '../../src/runs/run-event-log.js';
import { loggedEvent, type LoggedEvent } from '../../src/runs/run-event-rows.js';
import { createGroupedWriter } from '../../src/runs/grouped-writer.js';
import { createCheckpointWriter, loadRunCheckpoint } from '../../src/runs/run-checkpoints.js';
import type { Db } from '../../src/store/database.js';
import { isConnectionError, isUniqueViolation } from '../../src/store/postgres-errors.js';
import { insertRun, openRunStore } from './run-store-fixture.js';

type Run = Awaited<ReturnType<typeof insertRun>>;

function deltas(run: Run, from: number, count: number): LoggedEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    v: PROTOCOL_VERSION,
    type: 'message_delta',
    runId: run.id,
    threadId: run.threadId,
    seq: from + i,
    ts: new Date().toISOString(),
    data: { agent: 'reporting', text: `t${from + i} ` },
  }) as RunEvent).map(loggedEvent);
}

/** The writer over the real SQL statements, counting the statements it sends. */
function countedWriter(db: Db, maxRows?: number) {
  const statements: Array<{ kind: 'many' | 'one'; runs: number; events: number }> = [];
  const writer = createGroupedWriter<LoggedEvent>({
    writeMany: async (events) => {
      statements.push({ kind: 'many', runs: new Set(events.map((e) => e.event.runId)).size, events: events.length });
      await appendRunEvents(db, events);
    },
    writeOne: async (events) => {
      statements.push({ kind: 'one', runs: 1, events: events.length });
      await appendRunEvents(db, events);
    },
    isShared: isConnectionError,
    ...(maxRows ? { maxRows } : {}),
  });
  return { writer, statements };
}

async function logged(db: Db, run: Run): Promise<number[]> {
  return (await listRunEvents(db, { id: run.id, thread_id: run.threadId }, 0)).map((e) => e.seq);
}

async function lastSeqOf(db: Db, run: Run): Promise<number> {
  return (await db.selectFrom('runs').select('last_seq').where('id', '=', run.id).executeTakeFirstOrThrow()).last_seq;
}

describe('the node-wide event-log writer (one statement for every run due at once)', () => {
  let store: Awaited<ReturnType<typeof openRunStore>>;
  let db: Db;
  beforeAll(async () => {
    store = await openRunStore();
    db = store.db;
  });
  afterAll(async () => {
    await store.close();
  });

  it("writes 20 runs' batches queued in one turn in one statement, each run's rows and last_seq as given", async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, () => insertRun(db)));
    const { writer, statements } = countedWriter(db);
    await Promise.all(runs.map((run) => writer.append(deltas(run, 1, 12))));
    expect(statements).toEqual([{ kind: 'many', runs: 20, events: 240 }]);
    for (const run of runs) {
      expect(await logged(db, run)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(await lastSeqOf(db, run)).toBe(12);
    }
  });

  it('keeps the event data as written (text, nested objects, unicode)', async () => {
    const run = await insertRun(db);
    const { writer } = countedWriter(db);
    const event = { ...deltas(run, 1, 1)[0]!.event, data: { agent: 'reporting', text: 'a "quoted" \\ line\n€ 😀', nested: { n: [1, 2] } } } as unknown as RunEvent;
    await writer.append([loggedEvent(event)]);
    const [read] = await listRunEvents(db, { id: run.id, thread_id: run.threadId }, 0);
    expect(read).toEqual({ ...event, ts: new Date(event.ts).toISOString() });
  });

  it('fails only the run whose seq another node already wrote, writing nothing of it, and the others in full', async () => {
    const [lost, a, b] = await Promise.all([insertRun(db), insertRun(db), insertRun(db)]);
    // The node that took the run over wrote seqs 1-5; this node, which lost the lease, still tries 4-8.
    await appendRunEvents(db, deltas(lost!, 1, 5));
    const { writer, statements } = countedWriter(db);
    const results = await Promise.allSettled([writer.append(deltas(a!, 1, 3)), writer.append(deltas(lost!, 4, 5)), writer.append(deltas(b!, 1, 3))]);
    expect(results[0]!.status).toBe('fulfilled');
    expect(results[2]!.status).toBe('fulfilled');
    expect(results[1]!.status).toBe('rejected');
    expect(isUniqueViolation((results[1] as PromiseRejectedResult).reason)).toBe(true);
    expect(await logged(db, lost!)).toEqual([1, 2, 3, 4, 5]);
    expect(await lastSeqOf(db, lost!)).toBe(5);
    expect(await logged(db, a!)).toEqual([1, 2, 3]);
    expect(await logged(db, b!)).toEqual([1, 2, 3]);
    // The shared statement, rolled back whole, then each run on its own.
    expect(statements.map((s) => s.kind)).toEqual(['many', 'one', 'one', 'one']);
  });

  it('gives every run a failure of the database itself as it is, without writing each run again', async () => {
    const gone = Object.assign(new Error('Connection terminated unexpectedly'), {});
    let calls = 0;
    const writer = createGroupedWriter<LoggedEvent>({
      writeMany: async () => {
        calls++;
        throw gone;
      },
      writeOne: async () => {
        calls++;
      },
      isShared: isConnectionError,
    });
    const [run1, run2] = await Promise.all([insertRun(db), insertRun(db)]);
    const results = await Promise.allSettled([writer.append(deltas(run1!, 1, 2)), writer.append(deltas(run2!, 1, 2))]);
    expect(results.map((r) => (r.status === 'rejected' ? r.reason : null))).toEqual([gone, gone]);
    expect(calls).toBe(1);
  });

  it('splits a queue bigger than a statement carries, never splitting a run’s batch, and loses nothing', async () => {
    const runs = await Promise.all(Array.from({ length: 5 }, () => insertRun(db)));
    const { writer, statements } = countedWriter(db, 25);
    await Promise.all(runs.map((run) => writer.append(deltas(run, 1, 10))));
    expect(statements.map((s) => s.events)).toEqual([20, 20, 10]);
    for (const run of runs) expect(await logged(db, run)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('queues what arrives during a statement for the next one: one statement in flight, nothing acknowledged early', async () => {
    const [run1, run2] = await Promise.all([insertRun(db), insertRun(db)]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inFlight = 0;
    let most = 0;
    const batches: string[][] = [];
    const writer = createGroupedWriter<LoggedEvent>({
      writeMany: async (events) => {
        inFlight++;
        most = Math.max(most, inFlight);
        batches.push(events.map(({ event: e }) => `${e.runId === run1!.id ? 'a' : 'b'}${e.seq}`));
        if (batches.length === 1) await gate;
        await appendRunEvents(db, events);
        inFlight--;
      },
      writeOne: (events) => appendRunEvents(db, events),
      isShared: isConnectionError,
    });
    let firstDone = false;
    const first = writer.append(deltas(run1!, 1, 2)).then(() => (firstDone = true));
    await new Promise((r) => setImmediate(r));
    const second = writer.append(deltas(run1!, 3, 1));
    const third = writer.append(deltas(run2!, 1, 1));
    await new Promise((r) => setTimeout(r, 20));
    expect(firstDone).toBe(false);
    release();
    await Promise.all([first, second, third]);
    expect(batches).toEqual([['a1', 'a2'], ['a3', 'b1']]);
    expect(most).toBe(1);
    expect(await logged(db, run1!)).toEqual([1, 2, 3]);
  });

  it('puts 40 streaming runs on one flush clock in about one statement per tick, each run whole and in order', async () => {
    const runs = await Promise.all(Array.from({ length: 40 }, () => insertRun(db)));
    const { writer, statements } = countedWriter(db);
    const sqlLog = createSqlRunEventLog(db);
    const log = { append: (events: LoggedEvent[]) => writer.append(events), start: sqlLog.start, end: sqlLog.end, list: sqlLog.list };
    const bus = createMemoryBus();
    const clock = createFlushClock(50);
    const errors: unknown[] = [];
    const published = new Map<string, number[]>();
    const emitters = await Promise.all(
      runs.map(async (run) => {
        published.set(run.id, []);
        await bus.subscribe(channels.runEvents(run.id), (raw) => published.get(run.id)!.push((JSON.parse(raw) as RunEvent).seq));
        return createRunEmitter({ db, eventLog: log, bus, run, flushMs: 50, flushClock: clock, onPublishError: (e) => errors.push(e), onWriteError: (e) => errors.push(e) });
      }),
    );
    const started = performance.now();
    // 40 deltas a run, each run at its own pace (5-9 ms apart), as independent streams are.
    await Promise.all(
      emitters.map(async (emitter, r) => {
        for (let i = 0; i < 40; i++) {
          await emitter.emit({ type: 'message_delta', data: { agent: 'reporting', text: `t${i} ` } });
          await new Promise((res) => setTimeout(res, 5 + (r % 5)));
        }
      }),
    );
    await Promise.all(emitters.map((e) => e.flush()));
    const elapsed = performance.now() - started;
    expect(errors).toEqual([]);
    const all = Array.from({ length: 40 }, (_, i) => i + 1);
    for (const run of runs) {
      expect(published.get(run.id)).toEqual([...all, 40]);
      expect(await logged(db, run)).toEqual(all);
      expect(await lastSeqOf(db, run)).toBe(40);
    }
    const ticks = Math.ceil(elapsed / 50) + 1;
    console.info(`40 runs x 40 deltas over ${elapsed.toFixed(0)} ms on a 50-ms clock: ${statements.length} statements (a timer per run: ~${40 * ticks})`);
    // A statement per run per tick would be ~40 a tick; the flush requests at the end may add a few.
    expect(statements.length).toBeLessThanOrEqual(ticks + 8);
    expect(statements.every((s) => s.kind === 'many')).toBe(true);
  });

  it("writes the checkpoints of runs whose flush ended together in one statement, replacing each run's earlier one", async () => {
    const runs = await Promise.all(Array.from({ length: 10 }, () => insertRun(db)));
    const save = createCheckpointWriter(db);
    await Promise.all(runs.map((run, i) => save(run.id, { steps: { triage: { n: i } }, seq: 3 })));
    await Promise.all(runs.map((run, i) => save(run.id, { steps: { triage: { n: i }, data: { rows: [i, 'x'] } }, seq: 9 })));
    for (const [i, run] of runs.entries()) expect(await loadRunCheckpoint(db, run.id)).toEqual({ steps: { triage: { n: i }, data: { rows: [i, 'x'] } }, seq: 9 });
  });
});
