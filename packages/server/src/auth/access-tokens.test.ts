import { describe, expect, it } from 'vitest';
import { isAppError } from '../app-error.js';
import { createAccessTokens } from './access-tokens.js';

const claims = { userId: '7c1d3f0e-4a5b-4c6d-8e9f-0a1b2c3d4e5f', email: 'a@example.com', role: 'member' as const, sessionId: 's-1' };

async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isAppError(error) ? error.code : String(error);
  }
}

describe('access tokens', () => {
  it('verifies a token again from memory with the same claims, unaffected by a caller changing them', async () => {
    const tokens = createAccessTokens({ secret: 's'.repeat(32), ttlSeconds: 60 });
    const token = await tokens.sign(claims);
    const first = await tokens.verify(token);
    first.email = 'changed@example.com';
    expect(await tokens.verify(token)).toEqual(claims);
  });

  it('refuses a remembered token once it has expired', async () => {
    let clock = Date.now();
    const tokens = createAccessTokens({ secret: 's'.repeat(32), ttlSeconds: 60, now: () => clock });
    const token = await tokens.sign(claims);
    expect(await tokens.verify(token)).toEqual(claims);
    clock += 61_000;
    expect(await refusal(tokens.verify(token))).toBe('AUTH_INVALID_TOKEN');
  });

  it('refuses a token with a changed payload or another key every time', async () => {
    const tokens = createAccessTokens({ secret: 's'.repeat(32), ttlSeconds: 60 });
    const other = createAccessTokens({ secret: 'o'.repeat(32), ttlSeconds: 60 });
    const token = await tokens.sign(claims);
    await tokens.verify(token);
    const [header, payload, signature] = token.split('.');
    const changed = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = [header, Buffer.from(JSON.stringify({ ...changed, role: 'admin' })).toString('base64url'), signature].join('.');
    for (let i = 0; i < 2; i++) {
      expect(await refusal(tokens.verify(forged))).toBe('AUTH_INVALID_TOKEN');
      expect(await refusal(other.verify(token))).toBe('AUTH_INVALID_TOKEN');
    }
  });
});
