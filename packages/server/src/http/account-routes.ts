import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DeleteAccountRequestSchema, IdSchema } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { AccountDeletion } from '../auth/account-deletion.js';
import type { AuditLog } from '../audit/audit-log.js';
import { userOf } from './authenticate.js';
import { parseInput } from './parse-input.js';

export interface AccountRouteDeps {
  deletion: AccountDeletion;
  audit: AuditLog;
}

/**
 * Deleting an account: one's own (DELETE /v1/me, with the password again; the account is always
 * the caller's, from its credentials) or any as an admin (DELETE /v1/admin/users/:id). Both are
 * audited; the audit entry keeps the email, not the data.
 */
export async function accountRoutes(app: FastifyInstance, deps: AccountRouteDeps): Promise<void> {
  const audit = (request: FastifyRequest, userId: string, email: string, by: 'self' | 'admin') =>
    deps.audit.record({ action: 'user.deleted', actorId: by === 'self' ? null : userOf(request).userId, target: `user:${userId}`, ip: request.ip, details: { email, by } });

  app.delete('/v1/me', async (request, reply) => {
    const { password } = parseInput(DeleteAccountRequestSchema, request.body ?? {});
    const userId = userOf(request).userId;
    const { email } = await deps.deletion.deleteOwn(userId, password);
    await audit(request, userId, email, 'self');
    return reply.status(204).send();
  });

  app.delete('/v1/admin/users/:id', async (request, reply) => {
    const parsed = z.object({ id: IdSchema }).safeParse(request.params);
    if (!parsed.success) throw new AppError('USER_NOT_FOUND');
    const { email } = await deps.deletion.deleteByAdmin(parsed.data.id);
    await audit(request, parsed.data.id, email, 'admin');
    return reply.status(204).send();
  });
}
