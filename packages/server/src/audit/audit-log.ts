import { sql } from 'kysely';
import type { AuditAction, AuditEvent, AuditPage } from '@tally/protocol';
import type { Db } from '../store/database.js';

/** One security event, as code records it. */
export interface AuditEventInput {
  action: AuditAction;
  /** Who did it: null for the system, the CLI or an anonymous caller (a failed log-in). */
  actorId: string | null;
  /** What it was done to, as `kind:id`: `user:<id>`, `api_key:<id>`, `session:<id>`, `price:<model>`, `llm`. */
  target?: string | null;
  /** The caller's address (request.ip), when there is a request. */
  ip?: string | null;
  /** Anything that explains the event; never a secret (no password, token or key). */
  details?: Record<string, unknown>;
  /** The workspace it happened in: its owners and admins read it in the workspace's log. */
  workspaceId?: string | null;
}

/**
 * The audit log: an append-only table of security events, which admins read (newest first) at
 * GET /v1/admin/audit. `record` writes at once and throws when it cannot: an action whose event
 * cannot be recorded fails with it. Pass a transaction as `executor` to record with the change.
 */
export interface AuditLog {
  record(event: AuditEventInput, executor?: Db): Promise<void>;
  /** One page, newest first; `before` is an event id from the previous page's `nextBefore`; `workspaceId`: that workspace's events only. */
  list(query: { limit: number; before?: string; workspaceId?: string }): Promise<AuditPage>;
}

export function createAuditLog(deps: { db: Db }): AuditLog {
  const { db } = deps;
  return {
    async record(event, executor = db) {
      await executor
        .insertInto('audit_events')
        .values({
          actor_id: event.actorId,
          action: event.action,
          target: event.target ?? null,
          ip: event.ip ? event.ip.slice(0, 64) : null,
          details: JSON.stringify(event.details ?? {}),
          workspace_id: event.workspaceId ?? null,
        })
        .execute();
    },

    async list({ limit, before, workspaceId }) {
      let query = db
        .selectFrom('audit_events as e')
        .leftJoin('users as u', 'u.id', 'e.actor_id')
        // Readable targets: `user:<id>` by the user's email, `api_key:<id>` by the key's name.
        .leftJoin('users as tu', (join) => join.on(sql<boolean>`e.target = 'user:' || tu.id::text`))
        .leftJoin('api_keys as tk', (join) => join.on(sql<boolean>`e.target = 'api_key:' || tk.id::text`))
        .select(['e.id', 'e.at', 'e.actor_id', 'u.email as actor_email', 'e.action', 'e.target', 'e.ip', 'e.details', 'tu.email as target_email', 'tk.name as target_key_name'])
        .orderBy('e.id', 'desc')
        .limit(limit + 1);
      if (before !== undefined) query = query.where('e.id', '<', sql<string>`${before}::bigint`);
      if (workspaceId !== undefined) query = query.where('e.workspace_id', '=', workspaceId);
      const rows = await query.execute();
      const page = rows.slice(0, limit);
      const events: AuditEvent[] = page.map((r) => ({
        id: String(r.id),
        at: new Date(r.at).toISOString(),
        actorId: r.actor_id,
        actorEmail: r.actor_email ?? null,
        action: r.action,
        target: r.target,
        targetLabel: r.target_email ?? (r.target_key_name === null ? deletedUserEmail(r.target, r.details) : `key “${r.target_key_name}”`),
        ip: r.ip,
        details: isRecord(r.details) ? r.details : {},
      }));
      return { events, nextBefore: rows.length > limit ? (events.at(-1)?.id ?? null) : null };
    },
  };
}

/** A deleted user is named by the email the event recorded, when it did. */
function deletedUserEmail(target: string | null, details: unknown): string | null {
  if (!target?.startsWith('user:') || !isRecord(details)) return null;
  return typeof details['email'] === 'string' ? details['email'] : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
