import crypto from 'node:crypto';
import pino from 'pino';
import { describe, expect, inject, it } from 'vitest';
import { parseRevocation } from '../../src/auth/credential-revocation.js';
import { channels, type Bus } from '../../src/bus/bus.js';
import { createMemoryBus } from '../../src/bus/memory-bus.js';
import { createRedisBus } from '../../src/bus/redis-bus.js';
import { publishMembershipChange, WORKSPACE_MEMBERSHIP_CHANNEL, watchMembershipChanges, type MembershipChange } from '../../src/workspaces/membership-changes.js';

/**
 * A reduction of someone's workspace access reaches every node: published on one, heard by the
 * node-wide watch and on the member's control channel of another, over the in-process bus and
 * over Redis between two nodes. Nothing else on those channels is taken for one, and the
 * credential-revocation reader (the same control channel) does not take it for a revocation.
 */
const redisUrl = inject('redisUrl');
const logger = pino({ level: 'silent' });

async function check(publisher: Bus, listener: Bus): Promise<void> {
  const watch = await watchMembershipChanges({ bus: listener, logger });
  const heard: MembershipChange[] = [];
  const onControl: string[] = [];
  const stop = watch.onChange((change) => heard.push(change));
  const change = { workspaceId: crypto.randomUUID(), userId: crypto.randomUUID(), role: null };
  const unsubscribe = await listener.subscribe(channels.userControl(change.userId), (raw) => onControl.push(raw));
  try {
    // Noise on the same channel is ignored.
    await publisher.publish(WORKSPACE_MEMBERSHIP_CHANNEL, JSON.stringify({ type: 'workspace_access_reduced', workspaceId: 'x', userId: 'y', role: 'superuser' }));
    await publisher.publish(WORKSPACE_MEMBERSHIP_CHANNEL, 'not json');
    await publishMembershipChange(publisher, change);
    await publishMembershipChange(publisher, { ...change, role: 'viewer' });
    await until(() => heard.length === 2 && onControl.length === 2);
    expect(heard).toEqual([
      { type: 'workspace_access_reduced', ...change, role: null },
      { type: 'workspace_access_reduced', ...change, role: 'viewer' },
    ]);
    expect(onControl.map((raw) => parseRevocation(raw))).toEqual([null, null]);
    // A listener removed hears nothing more.
    stop();
    await publishMembershipChange(publisher, change);
    await until(() => onControl.length === 3);
    expect(heard).toHaveLength(2);
  } finally {
    await unsubscribe();
    await watch.close();
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(condition()).toBe(true);
}

describe('workspace membership changes on the bus', () => {
  it('within one node (the in-process bus)', async () => {
    const bus = createMemoryBus();
    await check(bus, bus);
    await bus.close();
  });

  it.runIf(redisUrl)('from one node to another over Redis', async () => {
    const prefix = `membership-${crypto.randomBytes(4).toString('hex')}:`;
    const nodeA = await createRedisBus({ url: redisUrl!, prefix, logger });
    const nodeB = await createRedisBus({ url: redisUrl!, prefix, logger });
    try {
      await check(nodeA, nodeB);
    } finally {
      await nodeA.close();
      await nodeB.close();
    }
  });
});
