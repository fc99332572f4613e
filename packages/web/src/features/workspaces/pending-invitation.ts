/**
 * The token of an invitation link (`/join#invitation=TOKEN`, made by the server) kept in this tab
 * until it is accepted: through the log-in or sign-up form, a reload or an identity provider's
 * redirect. sessionStorage: it stays with the tab that opened the link and ends with it.
 */
export interface PendingInvitation {
  token(): string | null;
  clear(): void;
}

const KEY = 'tally.invitationToken';
/** Where the app shows the invitation once the token is out of the address bar. */
export const JOIN_HASH = '#/join';

/**
 * Takes the token out of an invitation link's address (it should not linger in history or be
 * copied on) and leaves `#/join` there; the token is kept in `storage`.
 */
export function takeInvitationFromAddress(location: Location, history: History, storage: Storage): void {
  const token = /^#invitation=([A-Za-z0-9_-]{1,200})$/.exec(location.hash)?.[1];
  if (!token) return;
  try {
    storage.setItem(KEY, token);
  } catch {
    return; // storage refused: nothing can carry the token through a sign-in, leave the link as it is
  }
  history.replaceState(null, '', `/${JOIN_HASH}`);
}

export function createPendingInvitation(storage: Storage): PendingInvitation {
  return {
    token: () => {
      try {
        return storage.getItem(KEY);
      } catch {
        return null;
      }
    },
    clear: () => {
      try {
        storage.removeItem(KEY);
      } catch {
        // nothing kept
      }
    },
  };
}
