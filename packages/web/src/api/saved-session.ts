/**
 * What survives a reload: the refresh token and the last open thread, in sessionStorage (per
 * tab, gone when the tab closes). The access token is never stored; it lives in memory only.
 *
 * STOPGAP: a refresh token readable by page scripts is exposed to any XSS. The security issue
 * moves it into an httpOnly, SameSite=Strict cookie set by the server; this file then keeps only
 * the last thread id.
 */
export interface SavedSession {
  refreshToken(): string | null;
  saveRefreshToken(token: string | null): void;
  lastThreadId(): string | null;
  saveLastThreadId(threadId: string | null): void;
}

const REFRESH_KEY = 'tally.refreshToken';
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
    refreshToken: () => read(REFRESH_KEY),
    saveRefreshToken: (token) => write(REFRESH_KEY, token),
    lastThreadId: () => read(THREAD_KEY),
    saveLastThreadId: (id) => write(THREAD_KEY, id),
  };
}
