/**
 * What survives a reload: whether this browser is signed in (a hint, not a secret, in storage
 * shared by the tabs so a new tab signs in from the refresh cookie too), the workspace last picked
 * in this browser (shared by the tabs; checked against the account's list before use) and this
 * tab's last open thread (per tab). The refresh token lives in the server's httpOnly cookie, out
 * of reach of page scripts; the access token lives in memory only.
 */
export interface SavedSession {
  wasSignedIn(): boolean;
  saveSignedIn(signedIn: boolean): void;
  lastThreadId(): string | null;
  saveLastThreadId(threadId: string | null): void;
  lastWorkspaceId(): string | null;
  saveLastWorkspaceId(workspaceId: string | null): void;
}

const SIGNED_IN_KEY = 'tally.signedIn';
const THREAD_KEY = 'tally.lastThreadId';
const WORKSPACE_KEY = 'tally.workspaceId';

export function createSavedSession(stores: { shared: Storage; tab: Storage }): SavedSession {
  const read = (storage: Storage, key: string) => {
    try {
      return storage.getItem(key);
    } catch {
      return null; // storage disabled (private mode, policy): behave as a fresh tab
    }
  };
  const write = (storage: Storage, key: string, value: string | null) => {
    try {
      if (value === null) storage.removeItem(key);
      else storage.setItem(key, value);
    } catch {
      // Not persisted: a reload will ask to log in again.
    }
  };
  return {
    wasSignedIn: () => read(stores.shared, SIGNED_IN_KEY) === '1',
    saveSignedIn: (signedIn) => write(stores.shared, SIGNED_IN_KEY, signedIn ? '1' : null),
    lastThreadId: () => read(stores.tab, THREAD_KEY),
    saveLastThreadId: (id) => write(stores.tab, THREAD_KEY, id),
    lastWorkspaceId: () => read(stores.shared, WORKSPACE_KEY),
    saveLastWorkspaceId: (id) => write(stores.shared, WORKSPACE_KEY, id),
  };
}
