import type { Bus } from '../bus/bus.js';
import { hashSecretToken } from '../secret-token-hash.js';
import type { ApiKeys, VerifiedApiKey } from './api-keys.js';
import { createCredentialCache } from './credential-cache.js';

export interface ApiKeyVerificationCache {
  /** As ApiKeys.verify, but a live key of an enabled account verified less than `ttlMs` ago is answered from memory. */
  verify(key: string): Promise<VerifiedApiKey | null>;
  /** Stops listening for revocations. */
  close(): Promise<void>;
}

/**
 * One node's memory of API keys found live, for the routes an exporter calls many times a second
 * with one key (OTLP): each request then skips a database read that, on the embedded store, waits
 * behind the insert in progress. What makes it safe is credential-cache.ts's: a revoked key, or
 * any key of a disabled or deleted account, is forgotten on every node the moment it is published.
 * Remembered by the key's hash, as the database holds it, never the key itself. A key's last use is
 * noted when it is read again, at most `ttlMs` later (the database notes it to the minute anyway).
 */
export async function createApiKeyVerificationCache(deps: {
  apiKeys: Pick<ApiKeys, 'verify'>;
  bus: Bus;
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}): Promise<ApiKeyVerificationCache> {
  const cache = await createCredentialCache<VerifiedApiKey>({
    ...deps,
    heldBy: (key) => (key.owner.disabled ? null : { userId: key.owner.id, apiKeyId: key.keyId }),
  });
  return {
    verify: (key) => cache.get(hashSecretToken(key), () => deps.apiKeys.verify(key)),
    close: () => cache.close(),
  };
}
