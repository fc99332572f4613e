import { describe, expect, it } from 'vitest';
import type { AuthResponse } from '@tally/protocol';
import { createAuthSession, type AuthState } from './auth-session.js';
import { TallyApiError } from './errors.js';

const USER = { id: '11111111-1111-4111-8111-111111111111', email: 'a@b.co', role: 'member' as const, displayName: null };
const answer = (n: number): AuthResponse => ({ accessToken: `acc${n}`, expiresIn: 900, refreshToken: `ref${n}`, user: USER });

function setup() {
  let clock = 0;
  let issued = 1;
  const refreshCalls: string[] = [];
  const changes: Array<AuthState | null> = [];
  let refuse = false;
  const session = createAuthSession({
    now: () => clock,
    onChange: (s) => changes.push(s),
    rest: {
      login: async () => answer(issued),
      signup: async () => answer(issued),
      logout: async () => undefined,
      refresh: async (token) => {
        refreshCalls.push(token ?? '(cookie)');
        await Promise.resolve();
        if (refuse) throw new TallyApiError(401, 'AUTH_INVALID_REFRESH_TOKEN', 'no');
        issued += 1;
        return answer(issued);
      },
    },
  });
  return {
    session,
    refreshCalls,
    changes,
    tick: (ms: number) => (clock += ms),
    refuse: () => (refuse = true),
  };
}

describe('createAuthSession', () => {
  it('keeps the token until shortly before expiry, then refreshes once for concurrent callers', async () => {
    const t = setup();
    await t.session.login({ email: 'a@b.co', password: 'x' });
    expect(await t.session.getAccessToken()).toBe('acc1');
    t.tick(900_000 - 30_000);
    const tokens = await Promise.all([t.session.getAccessToken(), t.session.getAccessToken()]);
    expect(tokens).toEqual(['acc2', 'acc2']);
    expect(t.refreshCalls).toEqual(['ref1']);
    expect(t.changes.at(-1)?.refreshToken).toBe('ref2');
  });

  it('restores from a saved refresh token, and signs out when it is refused', async () => {
    const t = setup();
    await expect(t.session.restore('saved')).resolves.toEqual(USER);
    expect(t.session.user).toEqual(USER);
    t.refuse();
    expect(await t.session.forceRefresh()).toBe(false);
    expect(t.session.user).toBeUndefined();
    expect(t.changes.at(-1)).toBeNull();
    await expect(t.session.restore('saved')).rejects.toMatchObject({ code: 'AUTH_INVALID_REFRESH_TOKEN' });
  });
});
