import { channels, type Bus } from './bus.js';

/** One socket of a user on this node, as the user's channels see it. */
export interface UserChannelMember {
  /** A message of `user:<id>` (thread activity). */
  onActivity(raw: string): void;
  /** A message of `user-control:<id>` (sessions revoked). */
  onControl(raw: string): void;
}

export interface UserChannelFanout {
  /** Adds a member; resolves once the user's channels are subscribed on this node. */
  join(userId: string, member: UserChannelMember): Promise<void>;
  /** Removes a member; the user's channels are released with their last member on this node. */
  leave(userId: string, member: UserChannelMember): Promise<void>;
}

interface UserEntry {
  members: Set<UserChannelMember>;
  ready: Promise<void>;
  offs: Promise<Array<() => Promise<void>>>;
}

/**
 * One bus subscription per (user, channel) per node, shared by that user's sockets on the node,
 * instead of two per socket: each subscription costs a handler, its closures and a place in the
 * bus's handler set. A user's channel only ever reaches the members joined under that user's id.
 * Made per node (per gateway) and passed in: it holds no state outside the object it returns.
 */
export function createUserChannelFanout(bus: Bus): UserChannelFanout {
  const users = new Map<string, UserEntry>();

  function open(userId: string): UserEntry {
    const members = new Set<UserChannelMember>();
    const offs = Promise.allSettled([
      bus.subscribe(channels.userActivity(userId), (raw) => {
        for (const member of [...members]) member.onActivity(raw);
      }),
      bus.subscribe(channels.userControl(userId), (raw) => {
        for (const member of [...members]) member.onControl(raw);
      }),
    ]).then(async (results) => {
      const subscribed = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failed = results.find((r) => r.status === 'rejected');
      if (!failed) return subscribed;
      // Half a pair is no use: release what did subscribe, and report the failure.
      await Promise.allSettled(subscribed.map((off) => off()));
      throw failed.reason;
    });
    const entry: UserEntry = { members, offs, ready: offs.then(() => undefined) };
    // A failed subscription is forgotten, so the user's next socket tries again.
    entry.ready.catch(() => {
      if (users.get(userId) === entry) users.delete(userId);
    });
    return entry;
  }

  return {
    join(userId, member) {
      let entry = users.get(userId);
      if (!entry) users.set(userId, (entry = open(userId)));
      entry.members.add(member);
      return entry.ready;
    },
    async leave(userId, member) {
      const entry = users.get(userId);
      if (!entry || !entry.members.delete(member) || entry.members.size > 0) return;
      users.delete(userId);
      const offs = await entry.offs.catch(() => []);
      await Promise.allSettled(offs.map((off) => off()));
    },
  };
}
