import type { Logger } from 'pino';
import { AuditActionSchema, type AuditAction } from '@tally/protocol';
import type { AuditLog } from './audit-log.js';

/** A security event as the auth code reports it (AuthService's `onSecurityEvent`). */
export interface SecurityEvent {
  action: string;
  /** The account concerned: the one signing in (or failing to), refreshing, changing its password. */
  userId: string | null;
  ip: string;
  details?: Record<string, unknown>;
}

/**
 * Writes the auth code's security events to the audit log. The account is the target; it is also
 * the actor, except for a failed log-in, whose caller proved nothing. The returned promise settles
 * when the event is written (await it to record before answering); a failure to write is logged.
 */
export function createSecurityEventRecorder(deps: { audit: AuditLog; logger: Logger }): (event: SecurityEvent) => Promise<void> {
  return async (event) => {
    const known = AuditActionSchema.safeParse(event.action);
    if (!known.success) deps.logger.warn({ action: event.action }, 'security event not in AUDIT_ACTIONS (packages/protocol/src/rest/admin.ts); recorded as is');
    try {
      await deps.audit.record({
        // The column is text: an action not in the list yet is still recorded, never dropped.
        action: known.success ? known.data : (event.action as AuditAction),
        actorId: event.action === 'auth.login_failed' ? null : event.userId,
        target: event.userId ? `user:${event.userId}` : null,
        ip: event.ip || null,
        ...(event.details ? { details: event.details } : {}),
      });
    } catch (error) {
      deps.logger.error({ err: error, action: event.action }, 'recording a security event in the audit log failed');
    }
  };
}
