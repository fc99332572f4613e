import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunEvent } from '@tally/protocol';
import { commitRunEnd, findCommittedEnd } from '../../src/runs/run-end-transaction.js';
import { createRunEventSequence } from '../../src/runs/run-event-sequence.js';
import { createSqlRunEventLog, type RunEventLog } from '../../src/runs/run-event-log.js';
import type { Db } from '../../src/store/database.js';
import { insertRun, openRunStore } from './run-store-fixture.js';
import { loggedEvent } from '../../src/runs/run-event-rows.js';

const postgresUrl = inject('postgresUrl');

/** The end of a run: status, answer, thread time and last events together in one statement, and only for the lease owner. */
// PostgreSQL when the test services have it (as the other files that run on both engines).
const engines: Array<[string, string | undefined]> = [['embedded', undefined], ...(postgresUrl ? [['PostgreSQL', postgresUrl] as [string, string]] : [])];

describe.each(engines)('the end of a run (%s)', (_engine, url) => {
  let store: { db: Db; close(): Promise<void> };
  let log: RunEventLog;
  beforeAll(async () => {
    store = await openRunStore(url);
    log = createSqlRunEventLog(store.db);
  });
  afterAll(async () => store?.close());

  async function runHeldBy(nodeId: string) {
    const run = await insertRun(store.db, 'running');
    await store.db.updateTable('runs').set({ lease_owner: nodeId, last_seq: 1 }).where('id', '=', run.id).execute();
    const row = { id: run.id, owner_id: run.userId, thread_id: run.threadId };
    const sequence = createRunEventSequence({ id: run.id, threadId: run.threadId, lastSeq: 1 }, () => new Date());
    return { row, sequence };
  }

  const finishedAt = new Date('2026-03-04T05:06:07.000Z');

  it('writes the status, the assistant answer, the thread time and the last events, and names the thread', async () => {
    const { row, sequence } = await runHeldBy('node-a');
    const messageId = crypto.randomUUID();
    const events: RunEvent[] = [
      sequence.next({ type: 'message_delta', data: { agent: 'supervisor', text: 'Spend less.' } }),
      sequence.next({ type: 'run_completed', data: { messageId, answer: 'Spend less.', report: null } }),
    ];
    const ended = await commitRunEnd(store.db, { run: row, nodeId: 'node-a', status: 'completed', finishedAt, messageId, answer: 'Spend less.', events: events.map(loggedEvent) });
    expect(ended).toEqual({ title: 't' });
    expect(await store.db.selectFrom('runs').select(['status', 'lease_owner', 'last_seq', 'finished_at']).where('id', '=', row.id).executeTakeFirst()).toEqual({
      status: 'completed',
      lease_owner: null,
      last_seq: 3,
      finished_at: finishedAt,
    });
    expect(await store.db.selectFrom('messages').select(['role', 'content', 'run_id']).where('id', '=', messageId).executeTakeFirst()).toEqual({ role: 'assistant', content: 'Spend less.', run_id: row.id });
    expect((await store.db.selectFrom('threads').select('updated_at').where('id', '=', row.thread_id).executeTakeFirstOrThrow()).updated_at).toEqual(finishedAt);
    expect((await log.list(row, 1)).map((e) => e.type)).toEqual(['message_delta', 'run_completed']);
    expect(await findCommittedEnd(store.db, row, events[1]!)).toEqual({ title: 't' });
  });

  it('writes no answer for a run without one', async () => {
    const { row, sequence } = await runHeldBy('node-a');
    const messageId = crypto.randomUUID();
    const event = sequence.next({ type: 'run_failed', data: { code: 'INTERNAL', message: 'The run failed because of an internal error.' } });
    expect(await commitRunEnd(store.db, { run: row, nodeId: 'node-a', status: 'failed', finishedAt, messageId, answer: null, events: [loggedEvent(event)] })).toEqual({ title: 't' });
    expect(await store.db.selectFrom('messages').select('id').where('id', '=', messageId).executeTakeFirst()).toBeUndefined();
    expect((await store.db.selectFrom('runs').select('status').where('id', '=', row.id).executeTakeFirstOrThrow()).status).toBe('failed');
  });

  it('changes nothing once another node holds the run, and finds no end of its own then', async () => {
    const { row, sequence } = await runHeldBy('node-b');
    const messageId = crypto.randomUUID();
    const event = sequence.next({ type: 'run_completed', data: { messageId, answer: 'mine', report: null } });
    expect(await commitRunEnd(store.db, { run: row, nodeId: 'node-a', status: 'completed', finishedAt, messageId, answer: 'mine', events: [loggedEvent(event)] })).toBeNull();
    expect(await store.db.selectFrom('runs').select(['status', 'lease_owner']).where('id', '=', row.id).executeTakeFirst()).toEqual({ status: 'running', lease_owner: 'node-b' });
    expect(await store.db.selectFrom('messages').select('id').where('id', '=', messageId).executeTakeFirst()).toBeUndefined();
    expect(await log.list(row, 1)).toEqual([]);
    expect(await findCommittedEnd(store.db, row, event)).toBeNull();
  });

  it('writes nothing when one of its seqs is in the log already (the statement is all or nothing)', async () => {
    const { row, sequence } = await runHeldBy('node-a');
    const messageId = crypto.randomUUID();
    const delta = sequence.next({ type: 'message_delta', data: { agent: 'supervisor', text: 'x' } });
    await log.append([loggedEvent(delta)]);
    const event = sequence.next({ type: 'run_completed', data: { messageId, answer: 'x', report: null } });
    await expect(commitRunEnd(store.db, { run: row, nodeId: 'node-a', status: 'completed', finishedAt, messageId, answer: 'x', events: [delta, event].map(loggedEvent) })).rejects.toThrow();
    expect(await store.db.selectFrom('runs').select(['status', 'lease_owner', 'last_seq']).where('id', '=', row.id).executeTakeFirst()).toEqual({ status: 'running', lease_owner: 'node-a', last_seq: 2 });
    expect(await store.db.selectFrom('messages').select('id').where('id', '=', messageId).executeTakeFirst()).toBeUndefined();
    expect((await log.list(row, 1)).map((e) => e.type)).toEqual(['message_delta']);
  });
});
