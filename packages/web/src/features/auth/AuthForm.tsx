import { useEffect, useState, type FormEvent } from 'react';
import { MIN_PASSWORD_LENGTH, OIDC_START_PATH, OidcConfigResponseSchema } from '@tally/protocol';
import { errorMessage } from '../../format.js';

export interface AuthFormProps {
  onSubmit: (mode: 'login' | 'signup', credentials: { email: string; password: string; setupToken?: string }) => Promise<void>;
  /** A message to show on arrival, e.g. "your session expired". */
  notice?: string | null;
}

/**
 * The setup token of a server's first sign-up, from the address the server printed in its log
 * (`/?setup=<token>`, or `#/...?setup=<token>`).
 */
function setupTokenOfAddress(): string {
  const fromSearch = new URLSearchParams(window.location.search).get('setup');
  const hashQuery = window.location.hash.split('?')[1];
  return fromSearch ?? (hashQuery ? new URLSearchParams(hashQuery).get('setup') : null) ?? '';
}

/** Log in or sign up with email and password. */
export function AuthForm({ onSubmit, notice }: AuthFormProps) {
  const [setupToken, setSetupToken] = useState(setupTokenOfAddress);
  const [mode, setMode] = useState<'login' | 'signup'>(setupToken ? 'signup' : 'login');
  const [needsSetupToken, setNeedsSetupToken] = useState(setupToken !== '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const oidcIssuer = useOidcIssuer();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit(mode, mode === 'signup' && setupToken ? { email, password, setupToken } : { email, password });
    } catch (err) {
      // The server asks for the token of its first sign-up: show the field for it.
      if ((err as { code?: unknown } | null)?.code === 'AUTH_SETUP_TOKEN_INVALID') setNeedsSetupToken(true);
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <main className="auth">
      <form className="card auth-card" onSubmit={(e) => void submit(e)}>
        <h1>Tally</h1>
        <p className="muted">See where your AI money goes, and how to spend less.</p>
        <div className="tabs" role="tablist">
          {(['login', 'signup'] as const).map((m) => (
            <button key={m} type="button" role="tab" aria-selected={mode === m} className={mode === m ? 'tab active' : 'tab'} onClick={() => setMode(m)}>
              {m === 'login' ? 'Log in' : 'Sign up'}
            </button>
          ))}
        </div>
        <label>
          Email
          <input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            required
            minLength={mode === 'signup' ? MIN_PASSWORD_LENGTH : 1}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {mode === 'signup' && <p className="hint">At least {MIN_PASSWORD_LENGTH} characters.</p>}
        {mode === 'signup' && needsSetupToken && (
          <label>
            Setup token
            <input autoComplete="off" value={setupToken} onChange={(e) => setSetupToken(e.target.value.trim())} />
            <span className="hint">The first account of this server needs the token printed in its log.</span>
          </label>
        )}
        {notice && !error && <p className="notice">{notice}</p>}
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Please wait…' : mode === 'login' ? 'Log in' : 'Create account'}
        </button>
        {/* A plain navigation: the server redirects to the provider and back to #/oidc-complete. */}
        {oidcIssuer && (
          <a className="oidc-sign-in" href={OIDC_START_PATH}>
            Sign in with {issuerLabel(oidcIssuer)}
          </a>
        )}
      </form>
    </main>
  );
}

/** The configured OpenID Connect issuer, or null when sign-in with a provider is off (or unknown). */
function useOidcIssuer(): string | null {
  const [issuer, setIssuer] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    fetch('/v1/auth/oidc/config', { signal: abort.signal })
      .then(async (res) => (res.ok ? OidcConfigResponseSchema.parse(await res.json()) : null))
      .then((config) => setIssuer(config?.enabled && config.issuer ? config.issuer : null))
      .catch(() => undefined);
    return () => abort.abort();
  }, []);
  return issuer;
}

function issuerLabel(issuer: string): string {
  return URL.canParse(issuer) ? new URL(issuer).host : issuer;
}
