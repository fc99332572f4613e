import { describe, expect, it } from 'vitest';
import type { RunEventDraft } from '@tally/protocol';
import { createResumeFilter } from './resume-filter.js';

const started = (agent: 'triage' | 'reporting' | 'supervisor'): RunEventDraft => ({ type: 'agent_started', data: { agent } });
const done = (agent: 'triage' | 'reporting' | 'supervisor', durationMs = 5): RunEventDraft => ({ type: 'agent_completed', data: { agent, durationMs, summary: 'ok' } });
const delta = (text: string): RunEventDraft => ({ type: 'message_delta', data: { agent: 'reporting', text } });

describe('createResumeFilter', () => {
  it('suppresses what the tape holds, skips restored steps, and emits what is new', () => {
    const filter = createResumeFilter([started('supervisor'), started('triage'), done('triage'), started('reporting'), delta('Hello '), delta('wor')]);
    expect(filter.admit(started('supervisor'))).toBeNull();
    filter.skipStep('triage');
    expect(filter.admit(started('reporting'))).toBeNull();
    expect(filter.admit(delta('Hel'))).toBeNull();
    expect(filter.admit(delta('lo world'))).toEqual(delta('ld'));
    expect(filter.admit(delta('!'))).toEqual(delta('!'));
    expect(filter.admit(done('reporting', 99))).toEqual(done('reporting', 99));
    expect(filter.diverged).toBe(false);
    expect(filter.deliveredText).toBe('Hello world!');
  });

  it('ignores timings and tool call ids when matching', () => {
    const tool = (toolCallId: string, durationMs: number): RunEventDraft => ({
      type: 'tool_completed',
      data: { agent: 'data', toolCallId, tool: 'usage_aggregate', args: { from: null }, result: { rows: 3 }, durationMs },
    });
    const filter = createResumeFilter([tool('a', 10)]);
    expect(filter.admit(tool('b', 30))).toBeNull();
  });

  it('emits everything once the re-run differs from the tape', () => {
    const filter = createResumeFilter([started('reporting'), delta('The cost is $5'), done('reporting')]);
    expect(filter.admit(started('reporting'))).toBeNull();
    expect(filter.admit(delta('Your cost'))).toEqual(delta('Your cost'));
    expect(filter.diverged).toBe(true);
    expect(filter.admit(done('reporting'))).toEqual(done('reporting'));
    expect(filter.deliveredText).toBe('The cost is $5Your cost');
  });

  it('passes everything through with an empty tape', () => {
    const filter = createResumeFilter([]);
    expect(filter.admit(started('supervisor'))).toEqual(started('supervisor'));
    expect(filter.admit(delta('a'))).toEqual(delta('a'));
    expect(filter.deliveredText).toBe('a');
  });
});
