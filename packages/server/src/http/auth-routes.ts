import type { FastifyInstance } from 'fastify';
import {
  ChangePasswordSchema,
  CredentialsSchema,
  IdSchema,
  RefreshRequestSchema,
  SignupRequestSchema,
  UpdateProfileRequestSchema,
  type AuthResponse,
  type OtherSessionsRevoked,
  type TicketResponse,
  type User,
} from '@tally/protocol';
import { z } from 'zod';
import { AppError } from '../app-error.js';
import type { Accounts } from '../auth/accounts.js';
import type { AuthService } from '../auth/auth-service.js';
import type { SessionService } from '../auth/session-service.js';
import type { WsTickets } from '../auth/ws-tickets.js';
import type { LoginThrottle } from '../limits/login-throttle.js';
import { userOf } from './authenticate.js';
import { clientInfoOf } from './client-info.js';
import { parseInput } from './parse-input.js';
import { clearRefreshCookie, refreshCookieOf, setRefreshCookie, type CookieSecurity } from './refresh-cookie.js';

export interface AuthRouteDeps {
  auth: AuthService;
  accounts: Pick<Accounts, 'profile' | 'updateProfile'>;
  sessions: SessionService;
  tickets: WsTickets;
  throttle: LoginThrottle;
  refreshTtlSeconds: number;
  cookieSecurity: CookieSecurity;
}

/** Sign-up, log-in, refresh, log-out, sessions, profile, password change and WebSocket tickets. */
export async function authRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const withCookie = (request: Parameters<typeof setRefreshCookie>[0], reply: Parameters<typeof setRefreshCookie>[1], result: AuthResponse) => {
    setRefreshCookie(request, reply, result.refreshToken, deps.refreshTtlSeconds, deps.cookieSecurity);
    return result;
  };

  app.post('/v1/auth/signup', async (request, reply) => {
    const credentials = parseInput(SignupRequestSchema, request.body);
    // Without email verification a sign-up tells whether an address is taken; probing many is
    // slowed like guessing passwords, per IP (never per account: that would let anyone lock one).
    await deps.throttle.check('', request.ip);
    try {
      const result = await deps.auth.signup(credentials, clientInfoOf(request));
      return reply.status(201).send(withCookie(request, reply, result));
    } catch (error) {
      if (error instanceof AppError && error.code === 'AUTH_EMAIL_TAKEN') await deps.throttle.failedFromIp(request.ip);
      throw error;
    }
  });

  app.post('/v1/auth/login', async (request, reply) => {
    const credentials = parseInput(CredentialsSchema, request.body);
    await deps.throttle.check(credentials.email, request.ip);
    try {
      const result = await deps.auth.login(credentials, clientInfoOf(request));
      await deps.throttle.succeeded(credentials.email);
      return withCookie(request, reply, result);
    } catch (error) {
      if (error instanceof AppError && error.code === 'AUTH_INVALID_CREDENTIALS') await deps.throttle.failed(credentials.email, request.ip);
      throw error;
    }
  });

  app.post('/v1/auth/refresh', async (request, reply) => {
    const token = parseInput(RefreshRequestSchema, request.body ?? {}).refreshToken ?? refreshCookieOf(request);
    if (!token) throw new AppError('AUTH_INVALID_REFRESH_TOKEN', 'No refresh token: send it in the body or the tally_refresh cookie.');
    try {
      return withCookie(request, reply, await deps.auth.refresh(token, clientInfoOf(request)));
    } catch (error) {
      if (error instanceof AppError && error.code !== 'AUTH_REFRESH_CONFLICT') clearRefreshCookie(reply);
      throw error;
    }
  });

  app.post('/v1/auth/logout', async (request, reply) => {
    const token = parseInput(RefreshRequestSchema, request.body ?? {}).refreshToken ?? refreshCookieOf(request);
    if (token) await deps.auth.logout(token);
    clearRefreshCookie(reply);
    return reply.status(204).send();
  });

  // Signed-in routes: ROUTE_ACCESS (route-access.ts) puts each behind its guard.
  app.register(async (authed) => {
    authed.post('/v1/ws-tickets', async (request, reply): Promise<TicketResponse> => {
      const ticket = await deps.tickets.issue(userOf(request));
      void reply.status(201);
      return ticket;
    });

    authed.get('/v1/sessions', async (request) => {
      const user = userOf(request);
      return { sessions: await deps.sessions.list(user.userId, user.sessionId) };
    });

    // "Sign out all other sessions": every session of the user but the one asking (with an API
    // key, which has none, every session).
    authed.delete('/v1/sessions', async (request): Promise<OtherSessionsRevoked> => {
      const user = userOf(request);
      return { revoked: await deps.sessions.revokeAllExcept(user.userId, user.sessionId, 'signed out from another session') };
    });

    authed.delete('/v1/sessions/:id', async (request, reply) => {
      const parsed = z.object({ id: IdSchema }).safeParse(request.params);
      if (!parsed.success) throw new AppError('SESSION_NOT_FOUND');
      await deps.sessions.revoke(userOf(request).userId, parsed.data.id, 'revoked by the user');
      return reply.status(204).send();
    });

    authed.get('/v1/me', async (request): Promise<User> => deps.accounts.profile(userOf(request).userId));

    authed.patch('/v1/me', async (request): Promise<User> => {
      const change = parseInput(UpdateProfileRequestSchema, request.body);
      return deps.accounts.updateProfile(userOf(request).userId, change);
    });

    authed.post('/v1/me/password', async (request, reply) => {
      const { currentPassword, newPassword } = parseInput(ChangePasswordSchema, request.body);
      const user = userOf(request);
      await deps.auth.changePassword(user.userId, user.sessionId, currentPassword, newPassword);
      return reply.status(204).send();
    });
  });
}
