import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { CredentialsSchema, RefreshRequestSchema, type TicketResponse } from '@tally/protocol';
import type { AuthService } from '../auth/auth-service.js';
import type { WsTickets } from '../auth/ws-tickets.js';
import { userOf } from './authenticate.js';
import { parseInput } from './parse-input.js';

export async function authRoutes(
  app: FastifyInstance,
  deps: { auth: AuthService; tickets: WsTickets; requireUser: preHandlerAsyncHookHandler },
): Promise<void> {
  app.post('/v1/auth/signup', async (request, reply) => {
    const result = await deps.auth.signup(parseInput(CredentialsSchema, request.body));
    return reply.status(201).send(result);
  });
  app.post('/v1/auth/login', async (request) => deps.auth.login(parseInput(CredentialsSchema, request.body)));
  app.post('/v1/auth/refresh', async (request) => deps.auth.refresh(parseInput(RefreshRequestSchema, request.body).refreshToken));
  app.post('/v1/ws-tickets', { preHandler: deps.requireUser }, async (request, reply): Promise<TicketResponse> => {
    const ticket = await deps.tickets.issue(userOf(request));
    void reply.status(201);
    return ticket;
  });
}
