import type { FastifyInstance } from 'fastify';
import { WS_PATH } from '@tally/protocol';
import type { AccessClaims } from '../auth/access-tokens.js';
import { AppError } from '../app-error.js';
import { handleConnection, type ConnectionDeps } from './connection.js';
import type { createWsAuthenticator } from './ws-authenticator.js';

/**
 * The WebSocket endpoint. Authentication runs in preValidation, i.e. before the upgrade: a bad
 * or missing credential gets a plain HTTP 401 and no socket is ever opened.
 */
export async function wsGateway(
  app: FastifyInstance,
  deps: ConnectionDeps & { authenticate: ReturnType<typeof createWsAuthenticator> },
): Promise<void> {
  const identities = new WeakMap<object, AccessClaims>();
  app.get(
    WS_PATH,
    {
      websocket: true,
      preValidation: async (request) => {
        const claims = await deps.authenticate(request);
        if (!claims) throw new AppError('AUTH_REQUIRED', 'A valid ticket or bearer subprotocol is required to open the socket.');
        identities.set(request, claims);
      },
    },
    (socket, request) => {
      const claims = identities.get(request);
      if (!claims) {
        socket.close(1008, 'unauthenticated');
        return;
      }
      handleConnection(socket, { id: claims.userId, email: claims.email }, deps);
    },
  );
}
