import type { FastifyInstance } from 'fastify';
import { ResetPasswordRequestSchema } from '@tally/protocol';
import type { AuditLog } from '../audit/audit-log.js';
import type { PasswordResets } from '../auth/password-resets.js';
import { parseInput } from './parse-input.js';

/**
 * POST /v1/auth/reset-password: a user sets a new password with the one-time token an admin gave
 * them. Public (the token is the credential); every session of the user ends.
 */
export async function passwordResetRoutes(app: FastifyInstance, deps: { resets: PasswordResets; audit: AuditLog }): Promise<void> {
  app.post('/v1/auth/reset-password', async (request) => {
    const { token, password } = parseInput(ResetPasswordRequestSchema, request.body);
    const { userId } = await deps.resets.redeem(token, password);
    await deps.audit.record({ action: 'user.password_reset', actorId: userId, target: `user:${userId}`, ip: request.ip });
    return { passwordChanged: true as const };
  });
}
