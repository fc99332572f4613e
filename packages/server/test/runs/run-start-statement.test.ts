import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRunEventSequence } from '../../src/runs/run-event-sequence.js';
import { insertQueuedRun, type RunStart } from '../../src/runs/run-start-statement.js';
import type { Db } from '../../src/store/database.js';
import { insertRun, openRunStore } from './run-store-fixture.js';

const postgresUrl = inject('postgresUrl');
const engines: Array<[string, string | undefined]> = [['embedded', undefined], ...(postgresUrl ? [['PostgreSQL', postgresUrl] as [string, string]] : [])];

/** Queuing a run: thread, message, run and run_queued in one statement, the run only under the owner's cap. */
describe.each(engines)('the statement that queues a run (%s)', (_engine, url) => {
  let store: { db: Db; close(): Promise<void> };
  beforeAll(async () => {
    store = await openRunStore(url);
  });
  afterAll(async () => store?.close());

  /** A new thread's run for the owner of a run already going (one run going, so a cap of 1 is reached). */
  async function startFor(ownerId: string, cap: number | null): Promise<RunStart> {
    const id = crypto.randomUUID();
    const threadId = crypto.randomUUID();
    const messageId = crypto.randomUUID();
    const at = new Date('2026-03-04T05:06:07.000Z');
    const queued = createRunEventSequence({ id, threadId, lastSeq: 0 }, () => at).next({ type: 'run_queued', data: { messageId, text: 'Why?' } });
    return { run: { id, ownerId, workspaceId: ownerId, threadId, messageId, clientCommandId: null, traceparent: null }, newThread: { title: 'Why' }, text: 'Why?', at, queued, cap };
  }

  it('writes the new thread, the message, the run at last_seq 1 and run_queued under the cap', async () => {
    const going = await insertRun(store.db, 'running');
    const start = await startFor(going.userId, 2);
    expect(await store.db.transaction().execute((tx) => insertQueuedRun(tx, start))).toBe(true);
    expect(await store.db.selectFrom('runs').select(['status', 'last_seq', 'thread_id', 'message_id']).where('id', '=', start.run.id).executeTakeFirst()).toEqual({
      status: 'queued',
      last_seq: 1,
      thread_id: start.run.threadId,
      message_id: start.run.messageId,
    });
    expect(await store.db.selectFrom('run_events').select(['seq', 'type']).where('run_id', '=', start.run.id).execute()).toEqual([{ seq: 1, type: 'run_queued' }]);
    expect(await store.db.selectFrom('threads').select('title').where('id', '=', start.run.threadId).executeTakeFirst()).toEqual({ title: 'Why' });
    expect(await store.db.selectFrom('messages').select(['role', 'content', 'run_id']).where('id', '=', start.run.messageId).executeTakeFirst()).toEqual({ role: 'user', content: 'Why?', run_id: start.run.id });
  });

  it('writes no run and no event at the cap (the caller rolls the thread and message back), and ignores the cap when given none', async () => {
    const going = await insertRun(store.db, 'running');
    const capped = await startFor(going.userId, 1);
    expect(await store.db.transaction().execute((tx) => insertQueuedRun(tx, capped))).toBe(false);
    expect(await store.db.selectFrom('runs').select('id').where('id', '=', capped.run.id).executeTakeFirst()).toBeUndefined();
    expect(await store.db.selectFrom('run_events').select('seq').where('run_id', '=', capped.run.id).execute()).toEqual([]);
    const unchecked = await startFor(going.userId, null);
    expect(await store.db.transaction().execute((tx) => insertQueuedRun(tx, unchecked))).toBe(true);
  });
});
