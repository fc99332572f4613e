import { afterEach, describe, expect, it, vi } from 'vitest';
import { channels } from '../bus/bus.js';
import { createMemoryBus } from '../bus/memory-bus.js';
import { createUsageChangeAnnouncer, parseUsageChangedMessage, type UsageChangedMessage } from './usage-change-announcer.js';

const W1 = '11111111-1111-4111-8111-111111111111';
const W2 = '22222222-2222-4222-8222-222222222222';

async function listen() {
  const bus = createMemoryBus();
  const heard: UsageChangedMessage[] = [];
  await bus.subscribe(channels.usageChanged, (raw) => heard.push(parseUsageChangedMessage(raw)!));
  return { bus, heard };
}

describe('usage change announcer', () => {
  afterEach(() => vi.useRealTimers());

  it('announces the first change at once and coalesces a burst into one trailing message per window', async () => {
    vi.useFakeTimers();
    const { bus, heard } = await listen();
    const announcer = createUsageChangeAnnouncer(bus, { windowMs: 500 });
    announcer.announce(W1, { source: 'otlp' });
    await vi.advanceTimersByTimeAsync(0);
    expect(heard).toEqual([expect.objectContaining({ workspaceId: W1, source: 'otlp' })]);
    // 100 stored batches a second for two seconds: about one message per window, not 200.
    for (let i = 0; i < 200; i++) {
      announcer.announce(W1, { source: i === 199 ? 'upload' : 'otlp' });
      await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(heard.length).toBeGreaterThanOrEqual(4);
    expect(heard.length).toBeLessThanOrEqual(6);
    // The last change is announced after it happened, with its source.
    expect(heard.at(-1)?.source).toBe('upload');
    announcer.close();
  });

  it('keeps workspaces apart: one busy workspace does not hold back another', async () => {
    vi.useFakeTimers();
    const { bus, heard } = await listen();
    const announcer = createUsageChangeAnnouncer(bus, { windowMs: 500 });
    announcer.announce(W1, { source: 'otlp' });
    announcer.announce(W2, { source: 'connector' });
    await vi.advanceTimersByTimeAsync(0);
    expect(heard.map((m) => m.workspaceId)).toEqual([W1, W2]);
    // Quiet windows end without a message.
    await vi.advanceTimersByTimeAsync(2000);
    expect(heard).toHaveLength(2);
    announcer.close();
  });

  it('reads only well-formed messages', () => {
    expect(parseUsageChangedMessage('not json')).toBeNull();
    expect(parseUsageChangedMessage(JSON.stringify({ workspaceId: W1, source: 'fax', at: 'x' }))).toBeNull();
    expect(parseUsageChangedMessage(JSON.stringify({ workspaceId: W1, source: 'otlp', at: 'x' }))).toEqual({ workspaceId: W1, source: 'otlp', at: 'x' });
  });
});
