import { describe, expect, it } from 'vitest';
import { channels, type Bus } from './bus.js';
import { createMemoryBus } from './memory-bus.js';
import { createUserChannelFanout, type UserChannelMember } from './user-channel-fanout.js';

function recorder(): UserChannelMember & { activity: string[]; control: string[] } {
  const activity: string[] = [];
  const control: string[] = [];
  return { activity, control, onActivity: (raw) => activity.push(raw), onControl: (raw) => control.push(raw) };
}

/** The memory bus, counting the subscriptions alive per channel. */
function countingBus(): Bus & { live: Map<string, number> } {
  const inner = createMemoryBus();
  const live = new Map<string, number>();
  return {
    live,
    publish: (channel, message) => inner.publish(channel, message),
    async subscribe(channel, handler) {
      const off = await inner.subscribe(channel, handler);
      live.set(channel, (live.get(channel) ?? 0) + 1);
      return async () => {
        live.set(channel, live.get(channel)! - 1);
        await off();
      };
    },
    onReconnect: (handler) => inner.onReconnect(handler),
    close: () => inner.close(),
  };
}

describe('user channel fanout', () => {
  it("delivers a user's channels to that user's members only", async () => {
    const bus = countingBus();
    const fanout = createUserChannelFanout(bus);
    const [a1, a2, b] = [recorder(), recorder(), recorder()];
    await Promise.all([fanout.join('a', a1), fanout.join('a', a2), fanout.join('b', b)]);
    await bus.publish(channels.userActivity('a'), 'act-a');
    await bus.publish(channels.userControl('a'), 'ctl-a');
    await bus.publish(channels.userActivity('b'), 'act-b');
    expect([a1.activity, a1.control, a2.activity, a2.control]).toEqual([['act-a'], ['ctl-a'], ['act-a'], ['ctl-a']]);
    expect([b.activity, b.control]).toEqual([['act-b'], []]);
  });

  it('subscribes once per user and releases with the last member', async () => {
    const bus = countingBus();
    const fanout = createUserChannelFanout(bus);
    const [a1, a2] = [recorder(), recorder()];
    await fanout.join('a', a1);
    await fanout.join('a', a2);
    expect(bus.live.get(channels.userActivity('a'))).toBe(1);
    expect(bus.live.get(channels.userControl('a'))).toBe(1);
    await fanout.leave('a', a1);
    await bus.publish(channels.userActivity('a'), 'after-a1-left');
    expect(a1.activity).toEqual([]);
    expect(a2.activity).toEqual(['after-a1-left']);
    expect(bus.live.get(channels.userActivity('a'))).toBe(1);
    await fanout.leave('a', a2);
    expect(bus.live.get(channels.userActivity('a'))).toBe(0);
    expect(bus.live.get(channels.userControl('a'))).toBe(0);
    // A later socket of the same user subscribes afresh.
    const a3 = recorder();
    await fanout.join('a', a3);
    await bus.publish(channels.userControl('a'), 'again');
    expect(a3.control).toEqual(['again']);
  });

  it('forgets a failed subscription so the next member tries again, leaving nothing subscribed', async () => {
    const bus = countingBus();
    let failNext = true;
    const flaky: Bus = {
      ...bus,
      async subscribe(channel, handler) {
        if (failNext && channel === channels.userControl('a')) throw new Error('bus down');
        return bus.subscribe(channel, handler);
      },
    };
    const fanout = createUserChannelFanout(flaky);
    await expect(fanout.join('a', recorder())).rejects.toThrow('bus down');
    expect(bus.live.get(channels.userActivity('a'))).toBe(0);
    failNext = false;
    const a = recorder();
    await fanout.join('a', a);
    await bus.publish(channels.userControl('a'), 'ok');
    expect(a.control).toEqual(['ok']);
  });
});
