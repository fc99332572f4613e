import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { CLOSE_CODES, WS_PATH, type ThreadActivityFrame } from '@tally/protocol';
import { channels } from '../bus/bus.js';
import { AppError } from '../app-error.js';
import { Connection, type ConnectionDeps } from './connection.js';
import { createUserChannelFanout } from '../bus/user-channel-fanout.js';
import type { createWsAuthenticator, SocketClaims } from './ws-authenticator.js';
import type { OriginPolicy } from '../http/origin-policy.js';
import { originRefusal } from '../http/security-plugin.js';
import type { EphemeralStore } from '../kv/ephemeral-store.js';
import type { MembershipWatch } from '../workspaces/membership-changes.js';
import { pushUsageChanges, type UsageChangePushDeps } from './usage-change-push.js';

/** How long a socket closed by the server has to answer the close before it is cut off. */
const CLOSE_GRACE_MS = 1000;

/** A live socket as the gateway keeps it: its connection, whether it answered the last ping, its slot. */
interface LiveSocket {
  connection: Connection;
  alive: boolean;
  slot: string;
}

export interface GatewayControl {
  /** Closes every socket with RECONNECT_ELSEWHERE, for a graceful shutdown. */
  closeAll(): Promise<void>;
  readonly connections: number;
}

/**
 * Lets go of the HTTP objects of the upgrade once the socket is open: @fastify/websocket's error
 * listener holds the request and reply (and through them the response with its security headers)
 * for the socket's whole life, and the TCP socket still points at that response. None is used
 * again; kept, they were most of an idle socket's memory (~12 KB of ~15 KB of heap). Socket
 * errors are logged here instead and the socket is dropped, as that listener's default did.
 */
function releaseUpgradeRequest(socket: WebSocket, onError: (this: WebSocket, error: Error) => void): void {
  socket.removeAllListeners('error');
  socket.on('error', onError);
  const tcp = (socket as unknown as { _socket?: { _httpMessage?: { detachSocket?(s: unknown): void } | null } })._socket;
  tcp?._httpMessage?.detachSocket?.(tcp);
}

/**
 * The WebSocket endpoint. Authentication runs in preValidation, i.e. before the upgrade: a bad
 * or missing credential gets a plain HTTP 401 and no socket is ever opened. The gateway pings
 * every socket each heartbeat and drops those that did not answer the previous ping.
 */
export function registerWsGateway(
  app: FastifyInstance,
  gatewayDeps: Omit<ConnectionDeps, 'userChannels'> & {
    authenticate: ReturnType<typeof createWsAuthenticator>;
    heartbeatMs: number;
    origins: OriginPolicy;
    kv: EphemeralStore;
    maxSocketsPerUser: number;
    /** This node's listener of workspace access reductions (any node's). */
    membership: Pick<MembershipWatch, 'onChange' | 'onThreadUnshared'>;
    /** A workspace's members now, for `usage_changed` (gateway/usage-change-push.ts). */
    membersOf: UsageChangePushDeps['membersOf'];
  },
): GatewayControl {
  const deps = { ...gatewayDeps, userChannels: createUserChannelFanout(gatewayDeps.bus) };
  const identities = new WeakMap<object, { claims: SocketClaims; slot: string }>();
  const live = new Map<WebSocket, LiveSocket>();
  // A socket's place counts against its user's cap on every node while it heart-beats.
  const slotTtlMs = deps.heartbeatMs * 3;
  const slotKey = (userId: string) => `sockets:${userId}`;

  const heartbeat = setInterval(() => {
    for (const [socket, entry] of live) {
      if (!entry.alive) {
        // Told why (HEARTBEAT_TIMEOUT), in case the peer still reads; cut off if it does not answer the close.
        if (socket.readyState === socket.OPEN) {
          socket.close(CLOSE_CODES.HEARTBEAT_TIMEOUT, 'no pong to the last ping');
          setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
        }
        continue;
      }
      entry.alive = false;
      socket.ping();
      void deps.kv.claimSlot(slotKey(entry.connection.user.id), entry.slot, Number.MAX_SAFE_INTEGER, slotTtlMs).catch(() => undefined);
    }
  }, deps.heartbeatMs);
  heartbeat.unref();
  // After the bus link comes back, subscriptions read what they missed from the logs; once more a
  // moment later, for events published while the channels were being subscribed again.
  const resyncAll = () => {
    for (const { connection } of live.values()) connection.resync();
  };
  const stopResync = deps.bus.onReconnect(() => {
    resyncAll();
    setTimeout(resyncAll, 1000).unref();
  });

  // A member removed or lowered anywhere: their sockets here end what they may no longer read there.
  const stopMembership = deps.membership.onChange((change) => {
    for (const { connection } of live.values()) if (connection.user.id === change.userId) connection.onAccessReduced(change);
  });

  // A thread unshared anywhere: other members' sockets here stop reading it (each socket checks).
  const stopUnshared = deps.membership.onThreadUnshared((unshared) => {
    for (const { connection } of live.values()) connection.onThreadUnshared(unshared);
  });

  // A run queued in a shared thread, any node: other members' sockets here watching it follow it.
  const stopShared = deps.bus.subscribe(channels.sharedThreadActivity, (raw) => {
    let message: { authorId: string; activity: ThreadActivityFrame };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      return;
    }
    for (const { connection } of live.values()) connection.onSharedActivity(message.authorId, message.activity);
  }).catch((error: unknown) => {
    // Watchers of others' shared threads then follow the runs going when they watched, as before.
    deps.logger.error({ err: error }, 'subscribing to shared thread activity failed');
    return async () => undefined;
  });

  // A workspace's usage changed (any node's upload, export or sync): its members' sockets here hear of it.
  const stopUsage = pushUsageChanges({
    bus: deps.bus,
    membersOf: deps.membersOf,
    logger: deps.logger,
    sockets: () => [...live.values()].map((entry) => entry.connection),
  }).catch((error: unknown) => {
    // Open dashboards then show new usage on their next read, as before.
    deps.logger.error({ err: error }, 'subscribing to usage changes failed');
    return async () => undefined;
  });

  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    await (await stopUsage)();
    stopResync();
    stopMembership();
    stopUnshared();
    await (await stopShared)();
  });

  function onMessage(this: WebSocket, raw: RawData, isBinary: boolean): void {
    live.get(this)?.connection.onMessage(raw, isBinary);
  }
  function onPong(this: WebSocket): void {
    const entry = live.get(this);
    if (entry) entry.alive = true;
  }
  function onSocketError(this: WebSocket, error: Error): void {
    deps.logger.debug({ err: error }, 'socket error');
    this.terminate();
  }
  function onClose(this: WebSocket): void {
    const entry = live.get(this);
    if (!entry) return;
    live.delete(this);
    void entry.connection.release();
    void deps.kv.releaseSlot(slotKey(entry.connection.user.id), entry.slot).catch(() => undefined);
  }

  app.get(
    WS_PATH,
    {
      websocket: true,
      preValidation: async (request) => {
        // A page of a foreign origin may not ride on a user's credentials (cross-site WebSocket
        // hijacking), nor one on a rebinding domain (its Host names no host of this server).
        const verdict = deps.origins.check(request.headers.origin, request.headers.host);
        if (verdict !== 'ok') throw originRefusal(verdict);
        const claims = await deps.authenticate(request);
        if (!claims) throw new AppError('AUTH_REQUIRED', 'A valid ticket or bearer subprotocol is required to open the socket.');
        // Flat: randomUUID() returns a rope of ~14 pieces, each kept as its own heap object.
        const slot = randomBytes(16).toString('base64url');
        if (!(await deps.kv.claimSlot(slotKey(claims.userId), slot, deps.maxSocketsPerUser, slotTtlMs))) {
          throw new AppError('SOCKET_LIMIT_REACHED', `At most ${deps.maxSocketsPerUser} connections per user; close another tab or device.`);
        }
        identities.set(request, { claims, slot });
      },
    },
    (socket, request) => {
      releaseUpgradeRequest(socket, onSocketError);
      const identity = identities.get(request);
      if (!identity) {
        socket.close(CLOSE_CODES.POLICY_VIOLATION, 'unauthenticated');
        return;
      }
      const { claims, slot } = identity;
      const user = {
        id: claims.userId,
        email: claims.email,
        ...(claims.sessionId ? { sessionId: claims.sessionId } : {}),
        ...(claims.apiKeyId ? { apiKeyId: claims.apiKeyId } : {}),
        ...(claims.apiKeyId && claims.workspaceId ? { apiKeyWorkspaceId: claims.workspaceId } : {}),
      };
      live.set(socket, { connection: new Connection(socket, user, deps), alive: true, slot });
      // One listener function for all sockets (ws calls it with the socket as `this`): none per socket.
      socket.on('message', onMessage);
      socket.on('pong', onPong);
      socket.on('close', onClose);
    },
  );

  return {
    get connections() {
      return live.size;
    },
    async closeAll() {
      const sockets = [...live.keys()];
      await Promise.allSettled(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve) => {
              socket.once('close', () => resolve());
              socket.close(CLOSE_CODES.RECONNECT_ELSEWHERE, 'server shutting down: reconnect and resume by seq');
              setTimeout(() => {
                socket.terminate();
                resolve();
              }, CLOSE_GRACE_MS).unref();
            }),
        ),
      );
    },
  };
}
