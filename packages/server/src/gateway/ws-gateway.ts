import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { CLOSE_CODES, WS_PATH } from '@tally/protocol';
import type { AccessClaims } from '../auth/access-tokens.js';
import { AppError } from '../app-error.js';
import { handleConnection, type ConnectionDeps, type ConnectionHandle } from './connection.js';
import type { createWsAuthenticator } from './ws-authenticator.js';
import type { OriginPolicy } from '../http/origin-policy.js';
import type { EphemeralStore } from '../kv/ephemeral-store.js';

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
function releaseUpgradeRequest(socket: WebSocket, logger: ConnectionDeps['logger']): void {
  socket.removeAllListeners('error');
  socket.on('error', (error) => {
    logger.debug({ err: error }, 'socket error');
    socket.terminate();
  });
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
  deps: ConnectionDeps & {
    authenticate: ReturnType<typeof createWsAuthenticator>;
    heartbeatMs: number;
    originAllowed: OriginPolicy;
    kv: EphemeralStore;
    maxSocketsPerUser: number;
  },
): GatewayControl {
  const identities = new WeakMap<object, { claims: AccessClaims; slot: string }>();
  const live = new Map<WebSocket, { handle: ConnectionHandle; alive: boolean; userId: string; slot: string }>();
  // A socket's place counts against its user's cap on every node while it heart-beats.
  const slotTtlMs = deps.heartbeatMs * 3;
  const slotKey = (userId: string) => `sockets:${userId}`;

  const heartbeat = setInterval(() => {
    for (const [socket, entry] of live) {
      if (!entry.alive) {
        socket.terminate();
        continue;
      }
      entry.alive = false;
      socket.ping();
      void deps.kv.claimSlot(slotKey(entry.userId), entry.slot, Number.MAX_SAFE_INTEGER, slotTtlMs).catch(() => undefined);
    }
  }, deps.heartbeatMs);
  heartbeat.unref();
  // After the bus link comes back, subscriptions read what they missed from the logs; once more a
  // moment later, for events published while the channels were being subscribed again.
  const resyncAll = () => {
    for (const { handle } of live.values()) handle.resync();
  };
  const stopResync = deps.bus.onReconnect(() => {
    resyncAll();
    setTimeout(resyncAll, 1000).unref();
  });

  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    stopResync();
  });

  app.get(
    WS_PATH,
    {
      websocket: true,
      preValidation: async (request) => {
        // A page of a foreign origin may not ride on a user's credentials (cross-site WebSocket hijacking).
        if (!deps.originAllowed(request.headers.origin, request.headers.host)) throw new AppError('AUTH_ORIGIN_FORBIDDEN');
        const claims = await deps.authenticate(request);
        if (!claims) throw new AppError('AUTH_REQUIRED', 'A valid ticket or bearer subprotocol is required to open the socket.');
        const slot = randomUUID();
        if (!(await deps.kv.claimSlot(slotKey(claims.userId), slot, deps.maxSocketsPerUser, slotTtlMs))) {
          throw new AppError('SOCKET_LIMIT_REACHED', `At most ${deps.maxSocketsPerUser} connections per user; close another tab or device.`);
        }
        identities.set(request, { claims, slot });
      },
    },
    (socket, request) => {
      releaseUpgradeRequest(socket, deps.logger);
      const identity = identities.get(request);
      if (!identity) {
        socket.close(CLOSE_CODES.POLICY_VIOLATION, 'unauthenticated');
        return;
      }
      const { claims, slot } = identity;
      const user = { id: claims.userId, email: claims.email, ...(claims.sessionId ? { sessionId: claims.sessionId } : {}) };
      const entry = { handle: handleConnection(socket, user, deps), alive: true, userId: claims.userId, slot };
      live.set(socket, entry);
      socket.on('pong', () => (entry.alive = true));
      socket.on('close', () => {
        live.delete(socket);
        void entry.handle.release();
        void deps.kv.releaseSlot(slotKey(claims.userId), slot).catch(() => undefined);
      });
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
              }, 1000).unref();
            }),
        ),
      );
    },
  };
}
