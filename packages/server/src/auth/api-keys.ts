import crypto from 'node:crypto';
import {
  API_KEY_PREFIX,
  ApiKeyScopeSchema,
  type ApiKey,
  type ApiKeyScope,
  type CreateApiKeyRequest,
  type CreatedApiKey,
  type RevokedApiKey,
} from '@tally/protocol';
import { z } from 'zod';
import { AppError } from '../app-error.js';
import type { Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';
import type { Account } from './accounts.js';
import { publishRevocation } from './credential-revocation.js';
import { hashSecretToken } from '../secret-token-hash.js';

/** What a valid key says about its request. */
export interface VerifiedApiKey {
  keyId: string;
  /** The one workspace the key works in. */
  workspaceId: string;
  scopes: ApiKeyScope[];
  owner: Account;
}

/** A key that is not revoked, with its owner's state now. */
export interface ApiKeyStanding {
  keyId: string;
  ownerId: string;
  ownerDisabled: boolean;
}

/**
 * A workspace's API keys. A key is made in one workspace by one of its members and acts as that
 * person there only (the workspace guard reads the maker's membership and role on every request).
 * A key is `tally_` + 32 random bytes (base64url): 256 bits that no one guesses,
 * so a plain sha256 of it is safe to store and is what a request's key is looked up by (a slow
 * password hash protects guessable secrets, and would make every request pay for it). The key
 * itself is shown once, at creation; the stored prefix lets its owner recognise it.
 */
export interface ApiKeys {
  /** A key of `workspaceId` made by `makerId` (a member allowed to manage its settings: the route checks). */
  create(workspaceId: string, makerId: string, request: CreateApiKeyRequest): Promise<CreatedApiKey>;
  /** The workspace's keys that are not revoked, newest first, each with who made it. */
  list(workspaceId: string): Promise<ApiKey[]>;
  /**
   * API_KEY_NOT_FOUND for another workspace's key, an unknown one or one already revoked. The
   * sockets opened with tickets issued under the key close on every node (over the bus).
   */
  revoke(workspaceId: string, keyId: string): Promise<RevokedApiKey>;
  /**
   * Revokes the keys `makerId` made in `workspaceId` (they leave it or are removed), in the
   * caller's transaction; answers their ids, for `announceRevoked` once it commits.
   */
  revokeMadeBy(workspaceId: string, makerId: string, executor: Db): Promise<string[]>;
  /** Tells every node (and the maker's sockets) that these keys of `makerId` are over. */
  announceRevoked(makerId: string, keyIds: string[]): Promise<void>;
  /** The key's owner and scopes, or null for an unknown or revoked key. Notes the use. */
  verify(key: string): Promise<VerifiedApiKey | null>;
  /** Whether a key (by id) still works: for credentials issued under it, like WebSocket tickets. */
  isActive(keyId: string): Promise<boolean>;
  /** The key (by id) and its owner's state, in one read; null when it is revoked or unknown. */
  standing(keyId: string): Promise<ApiKeyStanding | null>;
}

const KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}[A-Za-z0-9_-]{43}$`);
const ScopesSchema = z.array(ApiKeyScopeSchema);

export function isApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}

export function createApiKeys(deps: { db: Db; bus: Bus; now?: () => Date }): ApiKeys {
  const { db, bus } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async create(workspaceId, makerId, { name, scopes }) {
      const key = API_KEY_PREFIX + crypto.randomBytes(32).toString('base64url');
      const row = await db
        .insertInto('api_keys')
        .values({
          id: crypto.randomUUID(),
          owner_id: makerId,
          workspace_id: workspaceId,
          name,
          scopes: JSON.stringify(scopes),
          prefix: key.slice(0, API_KEY_PREFIX.length + 8),
          key_hash: hashSecretToken(key),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const maker = await db.selectFrom('users').select(['id', 'email']).where('id', '=', makerId).executeTakeFirstOrThrow();
      return { ...toApiKey({ ...row, maker_email: maker.email }), key };
    },

    async list(workspaceId) {
      const rows = await db
        .selectFrom('api_keys as k')
        .innerJoin('users as u', 'u.id', 'k.owner_id')
        .selectAll('k')
        .select('u.email as maker_email')
        .where('k.workspace_id', '=', workspaceId)
        .where('k.revoked_at', 'is', null)
        .orderBy('k.created_at', 'desc')
        .orderBy('k.id')
        .execute();
      return rows.map(toApiKey);
    },

    async revoke(workspaceId, keyId) {
      const row = await db
        .updateTable('api_keys')
        .set({ revoked_at: now() })
        .where('id', '=', keyId)
        .where('workspace_id', '=', workspaceId)
        .where('revoked_at', 'is', null)
        .returning(['id', 'owner_id', 'revoked_at'])
        .executeTakeFirst();
      if (!row?.revoked_at) throw new AppError('API_KEY_NOT_FOUND');
      // Stored first: a node that misses this message still refuses the key at its next command.
      await publishRevocation(bus, row.owner_id, { type: 'api_keys_revoked', keyIds: [row.id] });
      return { id: row.id, revokedAt: new Date(row.revoked_at).toISOString() };
    },

    async revokeMadeBy(workspaceId, makerId, executor) {
      const rows = await executor
        .updateTable('api_keys')
        .set({ revoked_at: now() })
        .where('workspace_id', '=', workspaceId)
        .where('owner_id', '=', makerId)
        .where('revoked_at', 'is', null)
        .returning('id')
        .execute();
      return rows.map((r) => r.id);
    },

    async announceRevoked(makerId, keyIds) {
      if (keyIds.length > 0) await publishRevocation(bus, makerId, { type: 'api_keys_revoked', keyIds });
    },

    async isActive(keyId) {
      const row = await db.selectFrom('api_keys').select('id').where('id', '=', keyId).where('revoked_at', 'is', null).executeTakeFirst();
      return row !== undefined;
    },

    async standing(keyId) {
      const row = await db
        .selectFrom('api_keys as k')
        .innerJoin('users as u', 'u.id', 'k.owner_id')
        .select(['k.id', 'u.id as owner_id', 'u.disabled_at'])
        .where('k.id', '=', keyId)
        .where('k.revoked_at', 'is', null)
        .executeTakeFirst();
      return row ? { keyId: row.id, ownerId: row.owner_id, ownerDisabled: row.disabled_at !== null } : null;
    },

    async verify(key) {
      if (!KEY_PATTERN.test(key)) return null;
      const row = await db
        .selectFrom('api_keys as k')
        .innerJoin('users as u', 'u.id', 'k.owner_id')
        .select(['k.id as key_id', 'k.workspace_id', 'k.scopes', 'k.last_used_at', 'u.id as user_id', 'u.email', 'u.role', 'u.disabled_at'])
        .where('k.key_hash', '=', hashSecretToken(key))
        .where('k.revoked_at', 'is', null)
        .executeTakeFirst();
      if (!row) return null;
      const scopes = ScopesSchema.safeParse(row.scopes);
      if (!scopes.success) return null;
      // Noted to the minute: one write a minute per key, not one per request.
      const minuteAgo = new Date(now().getTime() - 60_000);
      if (!row.last_used_at || new Date(row.last_used_at) < minuteAgo) {
        await db
          .updateTable('api_keys')
          .set({ last_used_at: now() })
          .where('id', '=', row.key_id)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', minuteAgo)]))
          .execute();
      }
      return {
        keyId: row.key_id,
        workspaceId: row.workspace_id,
        scopes: scopes.data,
        owner: { id: row.user_id, email: row.email, role: row.role, disabled: row.disabled_at !== null },
      };
    },
  };
}

function toApiKey(row: {
  id: string;
  owner_id: string;
  maker_email: string;
  name: string;
  scopes: unknown;
  prefix: string;
  created_at: Date;
  last_used_at: Date | string | null;
}): ApiKey {
  return {
    id: row.id,
    createdBy: { userId: row.owner_id, email: row.maker_email },
    name: row.name,
    scopes: ScopesSchema.parse(row.scopes),
    prefix: row.prefix,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
  };
}

