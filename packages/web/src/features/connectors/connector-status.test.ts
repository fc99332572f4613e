import { describe, expect, it } from 'vitest';
import type { Connector } from '@tally/protocol';
import { connectorState, connectorsBusy } from './connector-status.js';

const base: Connector = {
  id: '00000000-0000-4000-8000-000000000001',
  provider: 'openai',
  keyHint: 'abcd',
  backfillDays: 30,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  lastSyncStartedAt: null,
  lastSyncFinishedAt: null,
  lastSuccessAt: null,
  lastError: null,
  lastErrorAt: null,
  syncedThrough: null,
  nextSyncAt: '2026-12-01T00:00:00.000Z',
  syncing: false,
  syncRequested: false,
};

describe('connectorState', () => {
  it('says what the connector is doing, the latest of a failure and a success winning', () => {
    expect(connectorState(base)).toEqual({ tone: 'waiting', text: 'Waiting for its first sync' });
    expect(connectorState({ ...base, syncing: true }).tone).toBe('busy');
    const failed = { ...base, lastError: 'CONNECTOR_KEY_REJECTED: refused', lastErrorAt: '2026-12-02T00:00:00.000Z', lastSyncFinishedAt: '2026-12-02T00:00:00.000Z' };
    expect(connectorState(failed)).toEqual({ tone: 'error', text: 'Last sync failed: CONNECTOR_KEY_REJECTED: refused' });
    expect(connectorState({ ...failed, lastSuccessAt: '2026-12-03T00:00:00.000Z' }).tone).toBe('ok');
    expect(connectorsBusy([failed])).toBe(false);
    expect(connectorsBusy([base])).toBe(true);
  });
});
