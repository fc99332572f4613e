import crypto from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Deployments } from '../support/deployments.js';
import type { Bus } from '../../src/bus/bus.js';

const DELIVERY_WAIT = { timeout: 5_000, interval: 10 };

/**
 * The behaviour every Bus must have (run events, cancels and user activity travel on it).
 * Registers its tests in the caller's describe block; each test uses channels of its own.
 *
 * "Not delivered" is shown with a marker: after the message that must not arrive, a marker is
 * published by the same publisher to a channel the same bus subscribed; a bus delivers one
 * publisher's messages in order, so once the marker is in, the other message would be too.
 */
export function busContract(open: () => Promise<Deployments<Bus>>): void {
  let h: Deployments<Bus>;
  beforeAll(async () => {
    h = await open();
  });
  afterAll(async () => {
    await h?.close();
  });
  const fresh = (name: string) => `${name}:${crypto.randomUUID()}`;

  function collector() {
    const got: string[] = [];
    return { got, handler: (message: string) => void got.push(message) };
  }
  /** Publishes a marker from `publisher` and waits until `on` has delivered it. */
  async function settled(publisher: Bus, on: Bus): Promise<void> {
    const channel = fresh('marker');
    const marker = collector();
    const off = await on.subscribe(channel, marker.handler);
    await publisher.publish(channel, 'marker');
    await expect.poll(() => marker.got.length, DELIVERY_WAIT).toBe(1);
    await off();
  }

  it('delivers to a subscription as soon as subscribe resolved, in publish order, text unchanged', async () => {
    const channel = fresh('run');
    const c = collector();
    const off = await h.node.subscribe(channel, c.handler);
    const messages = [...Array.from({ length: 50 }, (_, i) => JSON.stringify({ seq: i + 1 })), 'ünïcødé ✓ \u{1F600}', 'x'.repeat(200_000), ''];
    for (const m of messages) await h.node.publish(channel, m);
    await expect.poll(() => c.got.length, DELIVERY_WAIT).toBe(messages.length);
    expect(c.got).toEqual(messages);
    await off();
  });

  it('keeps channels apart, and publishing to a channel nobody hears is no error', async () => {
    const [a, b] = [fresh('run'), fresh('run')];
    const onA = collector();
    const offA = await h.node.subscribe(a, onA.handler);
    await h.node.publish(b, 'for b');
    await h.node.publish(a, 'for a');
    await expect.poll(() => onA.got, DELIVERY_WAIT).toEqual(['for a']);
    await offA();
  });

  it('gives every handler of a channel each message; removing one leaves the others; after the last nothing arrives', async () => {
    const channel = fresh('user');
    const [first, second] = [collector(), collector()];
    const offFirst = await h.node.subscribe(channel, first.handler);
    const offSecond = await h.node.subscribe(channel, second.handler);
    await h.node.publish(channel, 'both');
    await expect.poll(() => [first.got, second.got], DELIVERY_WAIT).toEqual([['both'], ['both']]);
    await offFirst();
    await h.node.publish(channel, 'second only');
    await expect.poll(() => second.got, DELIVERY_WAIT).toEqual(['both', 'second only']);
    await offSecond();
    await offSecond();
    await h.node.publish(channel, 'nobody');
    await settled(h.node, h.node);
    expect([first.got, second.got]).toEqual([['both'], ['both', 'second only']]);
  });

  it('a handler that throws, or removes itself while called, disturbs neither the publisher nor the other handlers', async () => {
    const channel = fresh('run');
    const after = collector();
    await h.node.subscribe(channel, () => {
      throw new Error('a subscriber bug');
    });
    let selfRemoving = 0;
    const offSelf = await h.node.subscribe(channel, () => {
      selfRemoving++;
      void offSelf();
    });
    await h.node.subscribe(channel, after.handler);
    await h.node.publish(channel, 'one');
    await expect.poll(() => after.got, DELIVERY_WAIT).toEqual(['one']);
    await h.node.publish(channel, 'two');
    await expect.poll(() => after.got, DELIVERY_WAIT).toEqual(['one', 'two']);
    expect(selfRemoving).toBe(1);
  });

  it('reaches the other nodes of a deployment, and no other deployment', async () => {
    const channel = fresh('runs:queued');
    const [here, there, elsewhere] = [collector(), collector(), collector()];
    const offs = await Promise.all([h.node.subscribe(channel, here.handler), h.sameDeployment.subscribe(channel, there.handler), h.otherDeployment.subscribe(channel, elsewhere.handler)]);
    await h.sameDeployment.publish(channel, 'from another node');
    await expect.poll(() => [here.got, there.got], DELIVERY_WAIT).toEqual([['from another node'], ['from another node']]);
    // Redis writes a message to its subscribers before it answers the PUBLISH: a marker the other
    // deployment publishes to itself afterwards arrives after anything it could have heard.
    await settled(h.otherDeployment, h.otherDeployment);
    expect(elsewhere.got).toEqual([]);
    await Promise.all(offs.map((off) => off()));
  });
}
