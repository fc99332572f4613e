import { describe, expect, it } from 'vitest';
import { syncWindow } from '../../src/connectors/sync-window.js';

/** The days a sync fetches: the backfill first, then from the day before the last complete one through today. */
describe('syncWindow', () => {
  const now = new Date('2026-12-06T08:30:00Z');

  it('backfills whole days, today included, on the first sync', () => {
    expect(syncWindow(now, null, 30)).toEqual({
      window: { from: new Date('2026-11-06T00:00:00Z'), to: new Date('2026-12-07T00:00:00Z') },
      syncedThrough: new Date('2026-12-06T00:00:00Z'),
    });
  });

  it('then re-fetches from the last complete day minus one, so the partial day is fetched again', () => {
    expect(syncWindow(now, new Date('2026-12-06T00:00:00Z'), 30).window).toEqual({ from: new Date('2026-12-05T00:00:00Z'), to: new Date('2026-12-07T00:00:00Z') });
    // Days missed while the server was down are fetched too.
    expect(syncWindow(now, new Date('2026-12-01T00:00:00Z'), 30).window.from).toEqual(new Date('2026-11-30T00:00:00Z'));
  });

  it('never starts after yesterday, whatever synced_through says (a clock moved back)', () => {
    expect(syncWindow(now, new Date('2026-12-20T00:00:00Z'), 30).window.from).toEqual(new Date('2026-12-05T00:00:00Z'));
  });
});
