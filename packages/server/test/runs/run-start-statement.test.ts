import crypto from 'node:crypto';
import type { BusyPolicy } from '@tally/protocol';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRunEventSequence } from '../../src/runs/run-event-sequence.js';
import { queueRun, type RunStart } from '../../src/runs/run-start-statement.js';
import type { Db } from '../../src/store/database.js';
import { insertRun, openRunStore } from './run-store-fixture.js';

const postgresUrl = inject('postgresUrl');
const engines: Array<[string, string | undefined]> = [['embedded', undefined], ...(postgresUrl ? [['PostgreSQL', postgresUrl] as [string, string]] : [])];

/**
 * Queuing a run in one statement (the queue_run function): the account, a resent command, the
 * cap, the thread and its runs going are checked in that order, and only then is anything written.
 */
describe.each(engines)('the statement that queues a run (%s)', (_engine, url) => {
  let store: { db: Db; close(): Promise<void> };
  beforeAll(async () => {
    store = await openRunStore(url);
  });
  afterAll(async () => store?.close());

  /** A start for `ownerId`: into `threadId` when given, else into a new thread. */
  function startFor(ownerId: string, options: { cap?: number | null; threadId?: string; onBusy?: BusyPolicy; commandId?: string } = {}): RunStart {
    const id = crypto.randomUUID();
    const threadId = options.threadId ?? crypto.randomUUID();
    const messageId = crypto.randomUUID();
    const at = new Date();
    const queued = createRunEventSequence({ id, threadId, lastSeq: 0 }, () => at).next({ type: 'run_queued', data: { messageId, text: 'Why?' } });
    return {
      run: { id, ownerId, workspaceId: ownerId, threadId, messageId, clientCommandId: options.commandId ?? null, traceparent: null },
      roles: ['owner', 'admin', 'member'],
      newThread: options.threadId ? null : { title: 'Why' },
      onBusy: options.onBusy ?? 'reject',
      text: 'Why?',
      at,
      queued,
      cap: options.cap === undefined ? null : options.cap,
    };
  }

  const runsOf = (start: RunStart) => store.db.selectFrom('runs').select(['status', 'last_seq', 'thread_id', 'message_id']).where('id', '=', start.run.id).execute();
  const eventsOf = (start: RunStart) => store.db.selectFrom('run_events').select(['seq', 'type', 'data']).where('run_id', '=', start.run.id).execute();
  const messageOf = (start: RunStart) => store.db.selectFrom('messages').select('id').where('id', '=', start.run.messageId).execute();

  it('writes the new thread, the message, the run at last_seq 1 and run_queued under the cap', async () => {
    const going = await insertRun(store.db, 'running');
    const start = startFor(going.userId, { cap: 2 });
    expect(await queueRun(store.db, start)).toEqual({ outcome: 'queued', title: 'Why', shared: false, busy: [] });
    expect(await runsOf(start)).toEqual([{ status: 'queued', last_seq: 1, thread_id: start.run.threadId, message_id: start.run.messageId }]);
    expect(await eventsOf(start)).toEqual([{ seq: 1, type: 'run_queued', data: { messageId: start.run.messageId, text: 'Why?' } }]);
    expect(await store.db.selectFrom('threads').select(['title', 'workspace_id']).where('id', '=', start.run.threadId).executeTakeFirst()).toEqual({ title: 'Why', workspace_id: going.userId });
    expect(await store.db.selectFrom('messages').select(['role', 'content', 'run_id']).where('id', '=', start.run.messageId).executeTakeFirst()).toEqual({ role: 'user', content: 'Why?', run_id: start.run.id });
  });

  it('writes nothing at the cap, and ignores the cap when given none', async () => {
    const going = await insertRun(store.db, 'running');
    const capped = startFor(going.userId, { cap: 1 });
    expect(await queueRun(store.db, capped)).toEqual({ outcome: 'limit' });
    expect(await runsOf(capped)).toEqual([]);
    expect(await eventsOf(capped)).toEqual([]);
    expect(await messageOf(capped)).toEqual([]);
    expect(await store.db.selectFrom('threads').select('id').where('id', '=', capped.run.threadId).execute()).toEqual([]);
    expect((await queueRun(store.db, startFor(going.userId, { cap: null }))).outcome).toBe('queued');
  });

  it('into a thread with a run going: refuses with the runs going under reject, queues behind them otherwise and names them', async () => {
    const going = await insertRun(store.db, 'running');
    const rejected = startFor(going.userId, { threadId: going.threadId });
    expect(await queueRun(store.db, rejected)).toEqual({ outcome: 'busy', busy: [going.id] });
    expect(await messageOf(rejected)).toEqual([]);
    const interrupting = startFor(going.userId, { threadId: going.threadId, onBusy: 'interrupt' });
    expect(await queueRun(store.db, interrupting)).toEqual({ outcome: 'queued', title: 't', shared: false, busy: [going.id] });
    expect(await runsOf(interrupting)).toEqual([{ status: 'queued', last_seq: 1, thread_id: going.threadId, message_id: interrupting.run.messageId }]);
    // Oldest first: the running run, then the one just queued.
    const queueing = startFor(going.userId, { threadId: going.threadId, onBusy: 'queue' });
    expect(await queueRun(store.db, queueing)).toMatchObject({ outcome: 'queued', busy: [going.id, interrupting.run.id] });
  });

  it("refuses a thread that is not the owner's, not in the workspace named, or being deleted", async () => {
    const going = await insertRun(store.db, 'completed');
    const stranger = await insertRun(store.db, 'completed');
    expect(await queueRun(store.db, startFor(stranger.userId, { threadId: going.threadId }))).toEqual({ outcome: 'thread_not_found' });
    // A member of another workspace, naming it for a thread of their own that is not there.
    await store.db.insertInto('workspace_members').values({ workspace_id: stranger.userId, user_id: going.userId, role: 'member' }).execute();
    const elsewhere = startFor(going.userId, { threadId: going.threadId });
    expect(await queueRun(store.db, { ...elsewhere, run: { ...elsewhere.run, workspaceId: stranger.userId } })).toEqual({ outcome: 'thread_not_found' });
    await store.db.updateTable('threads').set({ deleted_at: new Date() }).where('id', '=', going.threadId).execute();
    expect(await queueRun(store.db, startFor(going.userId, { threadId: going.threadId }))).toEqual({ outcome: 'thread_not_found' });
  });

  it("refuses before anything else a workspace the owner is not in (now), and a role that may not ask", async () => {
    const owner = await insertRun(store.db, 'completed');
    const other = await insertRun(store.db, 'completed');
    const outside = startFor(owner.userId, { commandId: 'cmd-outside' });
    expect(await queueRun(store.db, { ...outside, run: { ...outside.run, workspaceId: other.userId } })).toEqual({ outcome: 'not_member' });
    await store.db.insertInto('workspace_members').values({ workspace_id: other.userId, user_id: owner.userId, role: 'viewer' }).execute();
    const viewing = startFor(owner.userId);
    expect(await queueRun(store.db, { ...viewing, run: { ...viewing.run, workspaceId: other.userId } })).toEqual({ outcome: 'forbidden' });
    expect(await store.db.selectFrom('messages').select('id').where('owner_id', '=', owner.userId).where('thread_id', '!=', owner.threadId).execute()).toEqual([]);
    // A resend is refused too once the member is gone: membership comes before the command's lookup.
    const queued = startFor(owner.userId, { commandId: 'cmd-then-removed' });
    await store.db.updateTable('workspace_members').set({ role: 'member' }).where('workspace_id', '=', other.userId).where('user_id', '=', owner.userId).execute();
    expect((await queueRun(store.db, { ...queued, run: { ...queued.run, workspaceId: other.userId } })).outcome).toBe('queued');
    await store.db.deleteFrom('workspace_members').where('workspace_id', '=', other.userId).where('user_id', '=', owner.userId).execute();
    const resent = startFor(owner.userId, { commandId: 'cmd-then-removed' });
    expect(await queueRun(store.db, { ...resent, run: { ...resent.run, workspaceId: other.userId } })).toEqual({ outcome: 'not_member' });
  });

  it('answers a resent command with the run it queued, and a disabled or unknown account with disabled', async () => {
    const going = await insertRun(store.db, 'completed');
    const first = startFor(going.userId, { commandId: 'cmd-1' });
    expect((await queueRun(store.db, first)).outcome).toBe('queued');
    expect(await queueRun(store.db, startFor(going.userId, { commandId: 'cmd-1' }))).toEqual({ outcome: 'resent', runId: first.run.id, threadId: first.run.threadId, messageId: first.run.messageId });
    await store.db.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', going.userId).execute();
    // A command queued before the account was disabled is still its run; a new one is refused.
    expect((await queueRun(store.db, startFor(going.userId, { commandId: 'cmd-1' }))).outcome).toBe('resent');
    expect(await queueRun(store.db, startFor(going.userId, { commandId: 'cmd-2' }))).toEqual({ outcome: 'disabled' });
    expect(await queueRun(store.db, startFor(crypto.randomUUID()))).toEqual({ outcome: 'disabled' });
  });

  it('holds the cap when starts race: of 8 at once under a cap of 3, exactly 3 are queued', async () => {
    const owner = await insertRun(store.db, 'completed');
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => queueRun(store.db, startFor(owner.userId, { cap: 3 }))));
    expect(outcomes.filter((o) => o.outcome === 'queued')).toHaveLength(3);
    expect(outcomes.filter((o) => o.outcome === 'limit')).toHaveLength(5);
    const active = await store.db.selectFrom('runs').select('id').where('owner_id', '=', owner.userId).where('status', '=', 'queued').execute();
    expect(active).toHaveLength(3);
  });
});
