import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/app-error.js';
import { RunStopped, stopRun, stoppedBy, terminalOf } from '../../src/runs/run-outcome.js';

describe('a run outcome', () => {
  it('ends a completed run with its answer and report under the message id', () => {
    expect(terminalOf({ kind: 'completed', result: { answer: 'Spend less.', report: null } }, 'm1')).toEqual({
      status: 'completed',
      draft: { type: 'run_completed', data: { messageId: 'm1', answer: 'Spend less.', report: null } },
    });
  });

  it('ends a stopped run as cancelled by the user', () => {
    expect(terminalOf({ kind: 'stopped', reason: new RunStopped('user') }, 'm')).toEqual({ status: 'cancelled', draft: { type: 'run_cancelled', data: { reason: 'Stopped by the user.' } } });
  });

  it('shows the code and message of our own errors, and hides anything else as INTERNAL', () => {
    expect(terminalOf({ kind: 'failed', error: new AppError('RUN_NOT_FOUND') }, 'm').draft).toMatchObject({ type: 'run_failed', data: { code: 'RUN_NOT_FOUND' } });
    const hidden = terminalOf({ kind: 'failed', error: new Error('connection string postgres://secret@db') }, 'm');
    expect(hidden).toEqual({ status: 'failed', draft: { type: 'run_failed', data: { code: 'INTERNAL', message: 'The run failed because of an internal error.' } } });
  });

  it('says who stopped a run: the reason it was aborted with, else the user', () => {
    expect(stoppedBy({ kind: 'stopped', reason: new RunStopped('shutdown') })).toBe('shutdown');
    expect(stoppedBy({ kind: 'stopped', reason: new RunStopped('lease-lost') })).toBe('lease-lost');
    expect(stoppedBy({ kind: 'stopped', reason: new Error('aborted') })).toBe('user');
    expect(stoppedBy({ kind: 'failed', error: new Error('x') })).toBeNull();
  });

  it('keeps the first reason a run was stopped for', () => {
    const controller = new AbortController();
    stopRun(controller, 'lease-lost');
    stopRun(controller, 'user');
    expect((controller.signal.reason as RunStopped).by).toBe('lease-lost');
  });
});
