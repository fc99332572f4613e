import { describe, expect, it } from 'vitest';
import { createMemoryEphemeralStore } from './memory-ephemeral-store.js';

describe('memory ephemeral store', () => {
  it('takes a key once, and never after its time to live', async () => {
    let clock = 1_000_000;
    const store = createMemoryEphemeralStore(() => clock);
    await store.set('ticket:a', 'claims', 30_000);
    await store.set('ticket:b', 'claims', 30_000);
    expect(await store.take('ticket:a')).toBe('claims');
    expect(await store.take('ticket:a')).toBeNull();
    clock += 30_000;
    expect(await store.take('ticket:b')).toBeNull();
  });

  it('issues many keys in a burst in linear time', async () => {
    const store = createMemoryEphemeralStore();
    const started = performance.now();
    for (let i = 0; i < 50_000; i++) await store.set(`ticket:${i}`, 'claims', 30_000);
    // Sweeping on every write made this take seconds (50,000² / 2 steps).
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(await store.get('ticket:49999')).toBe('claims');
  });

  it('forgets a key after its time to live, whatever was written since', async () => {
    let clock = 0;
    const store = createMemoryEphemeralStore(() => clock);
    await store.set('old', 'x', 1_000);
    clock = 5_000;
    await store.set('new', 'y', 1_000);
    expect(await store.get('old')).toBeNull();
    expect(await store.get('new')).toBe('y');
  });
});
