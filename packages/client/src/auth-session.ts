import type { AuthResponse, Credentials, SignupRequest, User } from '@tally/protocol';
import { TallyApiError, isAuthError } from './errors.js';
import type { RestClient } from './rest-client.js';

/** What a session knows after signing in; the refresh token is what an app may keep. */
export interface AuthState {
  user: User;
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
}

export interface AuthSessionOptions {
  rest: Pick<RestClient, 'signup' | 'login' | 'refresh' | 'logout'>;
  /**
   * In a browser the server keeps the refresh token in an httpOnly cookie: the session then never
   * holds it (no script can read it), and refreshes send the cookie instead.
   */
  cookie?: boolean;
  /** Refresh this long before the access token expires; default 60 s. */
  refreshMarginMs?: number;
  now?: () => number;
  /** Called on every sign-in, refresh and sign-out (null), e.g. to persist the refresh token. */
  onChange?: (state: AuthState | null) => void;
}

/**
 * Holds the access token in memory, refreshes it shortly before it expires, and hands it to the
 * REST and WebSocket clients through `getAccessToken`. Refreshes are single-flight: concurrent
 * callers share one request, so a rotating refresh token is never spent twice.
 */
export interface AuthSession {
  signup(credentials: SignupRequest): Promise<User>;
  login(credentials: Credentials): Promise<User>;
  /** Signs in again from a refresh token kept from an earlier session (or from the cookie). */
  restore(refreshToken?: string): Promise<User>;
  /** The current access token, refreshed first when near expiry; undefined when signed out. */
  getAccessToken(): Promise<string | undefined>;
  /** Refreshes now (after a 401); true when a new token was obtained. */
  forceRefresh(): Promise<boolean>;
  /** Forgets the tokens and ends the session on the server. */
  signOut(): void;
  readonly user: User | undefined;
}

export function createAuthSession(options: AuthSessionOptions): AuthSession {
  const now = options.now ?? Date.now;
  const marginMs = options.refreshMarginMs ?? 60_000;
  let state: AuthState | null = null;
  let inflight: Promise<AuthState | null> | null = null;

  function accept(response: AuthResponse): AuthState {
    state = {
      user: response.user,
      accessToken: response.accessToken,
      refreshToken: options.cookie ? '' : response.refreshToken,
      expiresAt: now() + response.expiresIn * 1000,
    };
    options.onChange?.(state);
    return state;
  }

  function clear(): void {
    state = null;
    options.onChange?.(null);
  }

  function refreshWith(refreshToken: string | undefined, retried = false): Promise<AuthState | null> {
    const token = options.cookie ? undefined : refreshToken;
    inflight ??= options.rest
      .refresh(token)
      .then(accept, async (error: unknown): Promise<AuthState | null> => {
        // Another tab spent the shared cookie a moment ago; the browser holds its successor now.
        if (error instanceof TallyApiError && error.code === 'AUTH_REFRESH_CONFLICT' && !retried) {
          await new Promise((r) => setTimeout(r, 300));
          inflight = null;
          return refreshWith(refreshToken, true);
        }
        // A refused refresh token means signed out; a network error leaves the session as it is.
        if (isAuthError(error)) {
          clear();
          return null;
        }
        throw error;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  return {
    async signup(credentials) {
      return accept(await options.rest.signup(credentials)).user;
    },
    async login(credentials) {
      return accept(await options.rest.login(credentials)).user;
    },
    async restore(refreshToken) {
      const restored = await refreshWith(refreshToken);
      if (!restored) {
        throw new TallyApiError(401, 'AUTH_INVALID_REFRESH_TOKEN', 'The saved session has expired; please log in.');
      }
      return restored.user;
    },
    async getAccessToken() {
      if (inflight) return (await inflight)?.accessToken;
      if (!state) return undefined;
      if (state.expiresAt - now() > marginMs) return state.accessToken;
      return (await refreshWith(state.refreshToken))?.accessToken;
    },
    async forceRefresh() {
      if (inflight) return (await inflight) !== null;
      if (!state) return false;
      return (await refreshWith(state.refreshToken)) !== null;
    },
    signOut() {
      const token = state?.refreshToken || undefined;
      clear();
      options.rest.logout(token).catch(() => undefined);
    },
    get user() {
      return state?.user;
    },
  };
}
