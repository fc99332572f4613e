import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus } from './memory-bus.js';
import { createPortBus, serveBusPort } from './thread-bus-link.js';

// The hub and the port bus talk over a real MessageChannel (in one thread here; across threads in run-threads.test.ts).
describe('the in-process bus over run threads', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  function link() {
    const hub = createMemoryBus();
    const { port1, port2 } = new MessageChannel();
    const release = serveBusPort(hub, port1);
    const bus = createPortBus(port2);
    closers.push(async () => {
      await bus.close();
      await release();
      port1.close();
    });
    return { hub, bus, port2 };
  }

  const nextTurns = () => new Promise((r) => setTimeout(r, 20));

  it('a thread subscribed through the hub gets what the main thread publishes, once the subscription resolved', async () => {
    const { hub, bus } = link();
    const got: string[] = [];
    await bus.subscribe('run-cancel:r1', (m) => got.push(m));
    await hub.publish('run-cancel:r1', 'stop');
    await hub.publish('run-cancel:r2', 'not yours');
    await nextTurns();
    expect(got).toEqual(['stop']);
  });

  it("a thread's publication reaches the main thread's subscribers and the thread's own, in order", async () => {
    const { hub, bus } = link();
    const main: string[] = [];
    const own: string[] = [];
    await hub.subscribe('run:r1', (m) => main.push(m));
    await bus.subscribe('run:r1', (m) => own.push(m));
    for (let i = 1; i <= 50; i++) await bus.publish('run:r1', String(i));
    await nextTurns();
    const expected = Array.from({ length: 50 }, (_, i) => String(i + 1));
    expect(main).toEqual(expected);
    expect(own).toEqual(expected);
  });

  it('a message crosses only to a thread that listens to its channel', async () => {
    const hub = createMemoryBus();
    const a = new MessageChannel();
    const b = new MessageChannel();
    const releases = [serveBusPort(hub, a.port1), serveBusPort(hub, b.port1)];
    const busA = createPortBus(a.port2);
    const busB = createPortBus(b.port2);
    closers.push(async () => {
      await busA.close();
      await busB.close();
      for (const release of releases) await release();
    });
    const crossedToB: unknown[] = [];
    b.port2.on('message', (m: { op: string }) => m.op === 'message' && crossedToB.push(m));
    const main: string[] = [];
    await hub.subscribe('run:a', (m) => main.push(m));
    await busB.subscribe('runs:queued', () => undefined);
    await busA.publish('run:a', 'delta');
    await nextTurns();
    expect(main).toEqual(['delta']);
    expect(crossedToB).toEqual([]);
  });

  it('after the last handler is removed, nothing more crosses for that channel', async () => {
    const { hub, bus, port2 } = link();
    const got: string[] = [];
    const unsubscribe = await bus.subscribe('run-flush:r1', (m) => got.push(m));
    await hub.publish('run-flush:r1', 'one');
    await nextTurns();
    await unsubscribe();
    await nextTurns();
    let crossed = 0;
    port2.on('message', (m: { op: string }) => m.op === 'message' && crossed++);
    await hub.publish('run-flush:r1', 'two');
    await nextTurns();
    expect(got).toEqual(['one']);
    expect(crossed).toBe(0);
  });
});
