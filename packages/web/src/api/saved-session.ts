/**
 * What survives a reload, in sessionStorage: whether this tab was signed in (a hint, not a
 * secret) and the last open thread. The refresh token lives in the server's httpOnly cookie, out
 * of reach of page scripts; the access token lives in memory only.
 */
export interface SavedSession {
  wasSignedIn(): boolean;
  saveSignedIn(signedIn: boolean): void;
  lastThreadId(): string | null;
  saveLastThreadId(threadId: string | null): void;
}

const SIGNED_IN_KEY = 'tally.signedIn';
const THREAD_KEY = 'tally.lastThreadId';

export function createSavedSession(storage: Storage): SavedSession {
  const read = (key: string) => {
    try {
      return storage.getItem(key);
    } catch {
      return null; // storage disabled (private mode, policy): behave as a fresh tab
    }
  };
  const write = (key: string, value: string | null) => {
    try {
      if (value === null) storage.removeItem(key);
      else storage.setItem(key, value);
    } catch {
      // Not persisted: a reload will ask to log in again.
    }
  };
  return {
    wasSignedIn: () => read(SIGNED_IN_KEY) === '1',
    saveSignedIn: (signedIn) => write(SIGNED_IN_KEY, signedIn ? '1' : null),
    lastThreadId: () => read(THREAD_KEY),
    saveLastThreadId: (id) => write(THREAD_KEY, id),
  };
}
