import { describe, expect, it } from 'vitest';
import type { RunEvent, RunEventDraft } from '@tally/protocol';
import { createResumeFilter } from '../../src/runs/resume-filter.js';
import { createRunAttemptContext } from '../../src/runs/run-attempt-context.js';
import type { RunCheckpoint } from '../../src/runs/run-checkpoints.js';

const run = { id: 'run-1', threadId: 'thread-1', workspaceId: 'u1', user: { id: 'u1', email: 'u1@example.com' }, text: 'Where is my AI money going?', firstInThread: true };
const delta = (text: string): RunEventDraft => ({ type: 'message_delta', data: { agent: 'supervisor', text } });

/** An emitter that keeps what it was given, a lease that is held unless told otherwise. */
function parts(tape: RunEventDraft[] = [], steps: Record<string, unknown> = {}) {
  const emitted: RunEventDraft[] = [];
  const checkpoints: RunCheckpoint[] = [];
  let release: (() => void) | null = null;
  let firstEmits = 0;
  const controller = new AbortController();
  const ctx = createRunAttemptContext({
    run,
    signal: controller.signal,
    leases: { whenHeld: () => (release ? new Promise<void>((r) => (release = r)) : undefined) },
    emitter: {
      emit: (draft) => {
        emitted.push(draft);
        return { seq: emitted.length } as RunEvent;
      },
      checkpoint: (c) => checkpoints.push(c),
      get lastSeq() {
        return emitted.length + 1;
      },
    },
    resume: { steps, filter: createResumeFilter(tape) },
    onFirstEmit: () => firstEmits++,
  });
  return {
    ctx,
    emitted,
    checkpoints,
    controller,
    firstEmits: () => firstEmits,
    /** The lease is not surely held: emits wait until `confirm` is called. */
    unconfirmLease: () => (release = () => undefined),
    confirm: () => {
      const r = release;
      release = null;
      r?.();
    },
  };
}

describe('the context of a run attempt', () => {
  it('carries the run and its owner, never anything from the message', () => {
    const { ctx } = parts();
    expect({ user: ctx.user, threadId: ctx.threadId, runId: ctx.runId, text: ctx.text }).toEqual({ user: run.user, threadId: run.threadId, runId: run.id, text: run.text });
  });

  it('emits through the emitter and tells of the first emit once', async () => {
    const p = parts();
    await p.ctx.emit(delta('a'));
    await p.ctx.emit(delta('b'));
    expect(p.emitted).toEqual([delta('a'), delta('b')]);
    expect(p.firstEmits()).toBe(1);
  });

  it('publishes nothing while the lease is not surely held, and nothing once the run is aborted', async () => {
    const p = parts();
    p.unconfirmLease();
    const waiting = p.ctx.emit(delta('held back'));
    await new Promise((r) => setTimeout(r, 10));
    expect(p.emitted).toEqual([]);
    p.confirm();
    await waiting;
    expect(p.emitted).toEqual([delta('held back')]);

    p.controller.abort(new Error('stopped'));
    await expect(p.ctx.emit(delta('late'))).rejects.toThrow('stopped');
    expect(p.emitted).toHaveLength(1);
  });

  it('after a takeover, sends only what clients do not have yet', async () => {
    const p = parts([{ type: 'agent_started', data: { agent: 'supervisor' } }, delta('Hello')]);
    await p.ctx.emit({ type: 'agent_started', data: { agent: 'supervisor' } });
    await p.ctx.emit(delta('Hello, world'));
    expect(p.emitted).toEqual([delta(', world')]);
  });

  it('restores completed steps (skipping their events) and records new ones with the seq they follow', async () => {
    const p = parts([], { triage: { plan: 'cached' } });
    expect(p.ctx.restoreStep('triage')).toEqual({ plan: 'cached' });
    expect(p.ctx.restoreStep('reporting')).toBeUndefined();
    await p.ctx.emit(delta('x'));
    await p.ctx.saveStep('reporting', { done: true });
    expect(p.checkpoints).toEqual([{ steps: { triage: { plan: 'cached' }, reporting: { done: true } }, seq: 2 }]);
  });
});
