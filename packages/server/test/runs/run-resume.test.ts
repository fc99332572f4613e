import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveRunCheckpoint } from '../../src/runs/run-checkpoints.js';
import { createRunEventSequence } from '../../src/runs/run-event-sequence.js';
import { createSqlRunEventLog, type RunEventLog } from '../../src/runs/run-event-log.js';
import { loadRunResume } from '../../src/runs/run-resume.js';
import type { Db } from '../../src/store/database.js';
import { insertRun, openRunStore } from './run-store-fixture.js';
import { loggedEvent } from '../../src/runs/run-event-rows.js';

/** What a claimed run starts from: nothing when fresh, an earlier attempt's checkpoint and events when taken over. */
describe('resuming a claimed run', () => {
  let store: { db: Db; close(): Promise<void> };
  let log: RunEventLog;
  const logger = pino({ level: 'silent' });
  beforeAll(async () => {
    store = await openRunStore();
    log = createSqlRunEventLog(store.db);
  });
  afterAll(async () => store?.close());

  it('a run with nothing logged after run_queued starts from scratch', async () => {
    const run = await insertRun(store.db);
    const sequence = createRunEventSequence(run, () => new Date());
    await log.append([loggedEvent(sequence.next({ type: 'run_queued', data: { messageId: 'm', text: 'hi' } }))]);
    const resume = await loadRunResume({ db: store.db, log, logger }, { id: run.id, thread_id: run.threadId, last_seq: 1 });
    expect(resume.takenOver).toBe(false);
    expect(resume.steps).toEqual({});
    expect(resume.filter.admit({ type: 'agent_started', data: { agent: 'supervisor' } })).not.toBeNull();
  });

  it('a run taken over gets its checkpoint and does not send again what clients have', async () => {
    const run = await insertRun(store.db);
    const sequence = createRunEventSequence(run, () => new Date());
    await log.append([
      sequence.next({ type: 'run_queued', data: { messageId: 'm', text: 'hi' } }),
      sequence.next({ type: 'agent_started', data: { agent: 'triage' } }),
      sequence.next({ type: 'agent_completed', data: { agent: 'triage', durationMs: 12 } }),
      sequence.next({ type: 'agent_started', data: { agent: 'reporting' } }),
      sequence.next({ type: 'message_delta', data: { agent: 'reporting', text: 'Half an answ' } }),
    ].map(loggedEvent));
    await saveRunCheckpoint(store.db, run.id, { steps: { triage: { intent: 'cost_analysis' } }, seq: 3 });
    const resume = await loadRunResume({ db: store.db, log, logger }, { id: run.id, thread_id: run.threadId, last_seq: sequence.lastSeq });
    expect(resume.takenOver).toBe(true);
    expect(resume.steps).toEqual({ triage: { intent: 'cost_analysis' } });
    // The context skips a restored step's events (restoreStep); the interrupted step runs again.
    resume.filter.skipStep('triage');
    expect(resume.filter.admit({ type: 'agent_started', data: { agent: 'reporting' } })).toBeNull();
    expect(resume.filter.admit({ type: 'message_delta', data: { agent: 'reporting', text: 'Half an answer.' } })).toEqual({ type: 'message_delta', data: { agent: 'reporting', text: 'er.' } });
    expect(resume.filter.deliveredText).toBe('Half an answer.');
  });
});
