import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../bus/memory-bus.js';
import { createApiKeyVerificationCache } from './api-key-cache.js';
import type { VerifiedApiKey } from './api-keys.js';
import { publishRevocation } from './credential-revocation.js';

const KEY_A = `tally_${'a'.repeat(43)}`;
const KEY_B = `tally_${'b'.repeat(43)}`;
const live = (keyId: string, ownerId = 'u1', disabled = false): VerifiedApiKey => ({
  keyId,
  workspaceId: 'w1',
  scopes: ['usage:write'],
  owner: { id: ownerId, email: `${ownerId}@x.io`, role: 'member', disabled },
});

/** A database stand-in counting reads; `answer` is what each key looks like now. */
function fakeKeys(answer: (key: string) => VerifiedApiKey | null) {
  const state = { reads: 0, answer };
  return { state, verify: async (key: string) => (state.reads++, state.answer(key)) };
}

describe('API key verification cache', () => {
  it('answers a live key from memory within the bound, and reads it again after', async () => {
    let clock = 0;
    const db = fakeKeys((key) => (key === KEY_A ? live('ka') : null));
    const cache = await createApiKeyVerificationCache({ apiKeys: db, bus: createMemoryBus(), ttlMs: 1000, maxEntries: 10, now: () => clock });
    expect(await cache.verify(KEY_A)).toEqual(live('ka'));
    expect(await cache.verify(KEY_A)).toEqual(live('ka'));
    expect(db.state.reads).toBe(1);
    clock = 1000;
    db.state.answer = () => null;
    expect(await cache.verify(KEY_A)).toBeNull();
    expect(db.state.reads).toBe(2);
  });

  it('forgets a key the moment its revocation is published, and every key of an account the moment it is closed', async () => {
    const bus = createMemoryBus();
    const db = fakeKeys((key) => (key === KEY_A ? live('ka', 'u1') : live('kb', 'u2')));
    const cache = await createApiKeyVerificationCache({ apiKeys: db, bus, ttlMs: 60_000, maxEntries: 10 });
    await cache.verify(KEY_A);
    await cache.verify(KEY_B);
    db.state.answer = () => null;
    // A session's revocation ends no key.
    await publishRevocation(bus, 'u1', { type: 'sessions_revoked', sessionIds: ['ka'] });
    expect(await cache.verify(KEY_A)).toEqual(live('ka', 'u1'));
    await publishRevocation(bus, 'u1', { type: 'api_keys_revoked', keyIds: ['ka'] });
    expect(await cache.verify(KEY_A)).toBeNull();
    expect(await cache.verify(KEY_B)).toEqual(live('kb', 'u2'));
    await publishRevocation(bus, 'u2', { type: 'account_closed', userId: 'u2' });
    expect(await cache.verify(KEY_B)).toBeNull();
  });

  it('reads again every time a key is refused or its account disabled', async () => {
    const db = fakeKeys((key) => (key === KEY_A ? live('ka', 'u1', true) : null));
    const cache = await createApiKeyVerificationCache({ apiKeys: db, bus: createMemoryBus(), ttlMs: 60_000, maxEntries: 10 });
    for (let i = 0; i < 3; i++) {
      expect(await cache.verify(KEY_A)).toMatchObject({ owner: { disabled: true } });
      expect(await cache.verify(KEY_B)).toBeNull();
    }
    expect(db.state.reads).toBe(6);
  });
});
