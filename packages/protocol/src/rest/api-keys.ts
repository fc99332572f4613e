import { z } from 'zod';
import { safeText } from '../safe-text.js';

/**
 * What an API key may do, inside the one workspace it was made in (as the member who made it, while
 * they are one). `usage:write` uploads usage (POST /v1/workspaces/:workspaceId/usage, OTLP) and
 * nothing else, for ingestion pipelines; `full` may do what its maker does with the workspace's data
 * over REST, WebSocket tickets included. No key manages keys or administers the server: that takes a
 * signed-in person.
 */
export const API_KEY_SCOPES = ['usage:write', 'full'] as const;
export const ApiKeyScopeSchema = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScopeSchema>;

/** Every key starts with this, so a key is told from an access token (and found by secret scanners). */
export const API_KEY_PREFIX = 'tally_';

export const CreateApiKeyRequestSchema = z.object({
  /** A label for the workspace's admins, e.g. "nightly export job". */
  name: safeText().trim().min(1).max(100),
  scopes: z
    .array(ApiKeyScopeSchema)
    .min(1)
    .max(API_KEY_SCOPES.length)
    .refine((scopes) => new Set(scopes).size === scopes.length, { message: 'scopes must not repeat' }),
});
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequestSchema>;

export const ApiKeySchema = z.object({
  id: z.string().uuid(),
  /** The member who made it: the key acts as them in its workspace, and stops when they leave it. */
  createdBy: z.object({ userId: z.string().uuid(), email: z.string() }),
  name: z.string(),
  scopes: z.array(ApiKeyScopeSchema),
  /** The key's first characters (`tally_` and 8 more), to recognise it; never enough to use it. */
  prefix: z.string(),
  createdAt: z.string(),
  /** Last use, to the minute; null when never used. */
  lastUsedAt: z.string().nullable(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

/** The answer to creating a key: the only time the whole key is shown. */
export const CreatedApiKeySchema = ApiKeySchema.extend({
  /** `tally_<random>`: send it as `Authorization: Bearer <key>`. Stored only as a hash. */
  key: z.string().startsWith(API_KEY_PREFIX),
});
export type CreatedApiKey = z.infer<typeof CreatedApiKeySchema>;

export const ApiKeyListSchema = z.object({ apiKeys: z.array(ApiKeySchema) });
export type ApiKeyList = z.infer<typeof ApiKeyListSchema>;

export const RevokedApiKeySchema = z.object({ id: z.string().uuid(), revokedAt: z.string() });
export type RevokedApiKey = z.infer<typeof RevokedApiKeySchema>;
