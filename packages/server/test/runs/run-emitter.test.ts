import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { RunEvent } from '@tally/protocol';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { channels } from '../../src/bus/bus.js';
import { createRunEmitter } from '../../src/runs/run-emitter.js';
import { listRunEvents } from '../../src/runs/run-event-log.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';

/** Counts the inserts into run_events that reach the database. */
class InsertCounter implements KyselyPlugin {
  inserts = 0;
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'InsertQueryNode' && node.into?.table.identifier.name === 'run_events') this.inserts++;
    return node;
  }
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}

describe('the run emitter', () => {
  let dir: string;
  let db: Db;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-emitter-'));
    ({ db } = await openDatabase({ url: undefined, dataDir: dir }));
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function newRun() {
    const userId = crypto.randomUUID();
    const threadId = crypto.randomUUID();
    const runId = crypto.randomUUID();
    await db.insertInto('users').values({ id: userId, email: `${userId}@example.com`, password_hash: 'x', role: 'member' }).execute();
    await db.insertInto('threads').values({ id: threadId, owner_id: userId, title: 't' }).execute();
    await db.insertInto('runs').values({ id: runId, owner_id: userId, thread_id: threadId, message_id: crypto.randomUUID(), client_command_id: null, status: 'running' }).execute();
    return { id: runId, threadId, lastSeq: 0 };
  }

  it('writes a fast stream in a few multi-row inserts, in order, and publishes only what is logged', async () => {
    const counter = new InsertCounter();
    const bus = createMemoryBus();
    const run = await newRun();
    const published: RunEvent[] = [];
    await bus.subscribe(channels.runEvents(run.id), async (raw) => {
      const event = JSON.parse(raw) as RunEvent;
      // Log before bus: whatever a subscriber sees is already in the log.
      const logged = await listRunEvents(db, { id: run.id, thread_id: run.threadId }, event.seq - 1, 1);
      expect(logged[0]?.seq).toBe(event.seq);
      published.push(event);
    });
    const emitter = createRunEmitter({ db: db.withPlugin(counter), bus, run, onPublishError: () => undefined, onWriteError: () => undefined });
    for (let i = 0; i < 500; i++) await emitter.emit({ type: 'message_delta', data: { agent: 'reporting', text: `t${i} ` } });
    await emitter.idle();
    const logged = await listRunEvents(db, { id: run.id, thread_id: run.threadId }, 0);
    expect(logged.map((e) => e.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    await expect.poll(() => published.length).toBe(500);
    expect(published.map((e) => e.seq)).toEqual(logged.map((e) => e.seq));
    console.info(`500 deltas emitted back to back: ${counter.inserts} inserts into run_events`);
    expect(counter.inserts).toBeLessThan(50);
  });

  it('stops and reports when a write fails (another node wrote that seq)', async () => {
    const bus = createMemoryBus();
    const run = await newRun();
    const errors: unknown[] = [];
    const first = createRunEmitter({ db, bus, run, onPublishError: () => undefined, onWriteError: (e) => errors.push(e) });
    const second = createRunEmitter({ db, bus, run, onPublishError: () => undefined, onWriteError: (e) => errors.push(e) });
    await first.emit({ type: 'agent_started', data: { agent: 'supervisor' } });
    await first.idle();
    await second.emit({ type: 'agent_started', data: { agent: 'supervisor' } });
    await second.idle();
    expect(errors).toHaveLength(1);
    expect((errors[0] as { code?: string }).code).toBe('23505');
    await expect(second.emit({ type: 'agent_started', data: { agent: 'triage' } })).rejects.toBeDefined();
  });
});
