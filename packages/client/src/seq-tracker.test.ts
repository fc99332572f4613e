import { describe, expect, it } from 'vitest';
import { createSeqTracker, type SeqTrackedEvent } from './seq-tracker.js';

const ev = (seq: number, type = 'agent_thinking', runId = 'r1'): SeqTrackedEvent => ({ runId, seq, type });
const seqs = (events: SeqTrackedEvent[]) => events.map((e) => e.seq);

describe('createSeqTracker', () => {
  it('delivers in-order events once and drops duplicates', () => {
    const t = createSeqTracker();
    t.follow('r1', 0);
    expect(seqs(t.accept(ev(1)))).toEqual([1]);
    expect(seqs(t.accept(ev(2)))).toEqual([2]);
    expect(seqs(t.accept(ev(2)))).toEqual([]);
    expect(seqs(t.accept(ev(1)))).toEqual([]);
    expect(t.lastSeq('r1')).toBe(2);
  });

  it('holds early events until the gap is filled', () => {
    const t = createSeqTracker();
    t.follow('r1', 0);
    expect(seqs(t.accept(ev(1)))).toEqual([1]);
    expect(seqs(t.accept(ev(3)))).toEqual([]);
    expect(seqs(t.accept(ev(4)))).toEqual([]);
    expect(t.hasGap('r1')).toBe(true);
    expect(seqs(t.accept(ev(3)))).toEqual([]); // held twice: still once
    expect(seqs(t.accept(ev(2)))).toEqual([2, 3, 4]);
    expect(t.hasGap('r1')).toBe(false);
  });

  it('resumes from a position: a replay after reconnect yields only the missing events', () => {
    const t = createSeqTracker();
    t.follow('r1', 0);
    for (const s of [1, 2, 3]) t.accept(ev(s));
    // The server replays from afterSeq=2 while seq 3 already arrived live on the old socket.
    const replayed = [3, 4, 5].flatMap((s) => t.accept(ev(s)));
    expect(seqs(replayed)).toEqual([4, 5]);
    expect(t.openRuns()).toEqual([{ runId: 'r1', lastSeq: 5 }]);
  });

  it('finishes a run at its terminal event and ignores anything after it', () => {
    const t = createSeqTracker();
    t.follow('r1', 0);
    t.accept(ev(1, 'run_queued'));
    t.accept(ev(3, 'agent_started'));
    expect(seqs(t.accept(ev(2, 'run_completed')))).toEqual([2]);
    expect(t.isFinished('r1')).toBe(true);
    expect(t.accept(ev(3))).toEqual([]);
    expect(t.openRuns()).toEqual([]);
  });

  it('follows an unknown run from 0 implicitly, and ensure keeps a known position', () => {
    const t = createSeqTracker();
    expect(seqs(t.accept(ev(1, 'run_queued', 'r2')))).toEqual([1]);
    t.ensure('r2');
    expect(t.lastSeq('r2')).toBe(1);
    t.ensure('r3');
    expect(t.lastSeq('r3')).toBe(0);
  });

  it('ignores a dropped run, and follow() restarts it from any position', () => {
    const t = createSeqTracker();
    t.follow('r1', 0);
    t.accept(ev(1));
    t.drop('r1');
    expect(t.accept(ev(2))).toEqual([]);
    expect(t.openRuns()).toEqual([]);
    t.follow('r1', 0); // re-render from the start
    expect(seqs(t.accept(ev(1)))).toEqual([1]);
  });

  it('keeps runs apart', () => {
    const t = createSeqTracker();
    t.follow('a', 0);
    t.follow('b', 5);
    expect(seqs(t.accept(ev(1, 'x', 'a')))).toEqual([1]);
    expect(seqs(t.accept(ev(1, 'x', 'b')))).toEqual([]);
    expect(seqs(t.accept(ev(6, 'x', 'b')))).toEqual([6]);
  });
});
