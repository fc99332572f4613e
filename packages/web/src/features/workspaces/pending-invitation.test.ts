import { describe, expect, it } from 'vitest';
import { createPendingInvitation, takeInvitationFromAddress } from './pending-invitation.js';

/** A Map-backed Storage, optionally refusing writes as a browser in private mode may. */
function memoryStorage(refuse = false): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    key: (i) => [...items.keys()][i] ?? null,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => {
      if (refuse) throw new Error('QuotaExceededError');
      items.set(k, v);
    },
    removeItem: (k) => void items.delete(k),
    clear: () => items.clear(),
  };
}

function address(hash: string) {
  const replaced: string[] = [];
  const location = { hash } as Location;
  const history = { replaceState: (_s: unknown, _t: string, url: string) => void replaced.push(url) } as unknown as History;
  return { location, history, replaced };
}

describe('an invitation link kept through sign-in', () => {
  it('takes the token out of the address and keeps it until cleared', () => {
    const storage = memoryStorage();
    const { location, history, replaced } = address('#invitation=twi_abc-DEF_123');
    takeInvitationFromAddress(location, history, storage);
    expect(replaced).toEqual(['/#/join']);
    const pending = createPendingInvitation(storage);
    expect(pending.token()).toBe('twi_abc-DEF_123');
    pending.clear();
    expect(pending.token()).toBeNull();
  });

  it('ignores other addresses and malformed tokens', () => {
    for (const hash of ['', '#/chat', '#invitation=', '#invitation=a b', '#invitation=<script>', `#invitation=${'x'.repeat(201)}`]) {
      const storage = memoryStorage();
      const { location, history, replaced } = address(hash);
      takeInvitationFromAddress(location, history, storage);
      expect(replaced, hash).toEqual([]);
      expect(createPendingInvitation(storage).token(), hash).toBeNull();
    }
  });

  it('leaves the link in the address when the tab cannot keep it', () => {
    const { location, history, replaced } = address('#invitation=twi_abc');
    takeInvitationFromAddress(location, history, memoryStorage(true));
    expect(replaced).toEqual([]);
  });
});
