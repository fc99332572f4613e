import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, type InteractionResults } from 'oidc-provider';

/** The claims a test account has at the provider. */
export interface TestAccount {
  email: string;
  /** A string here plays a provider that gets the claim's type wrong. */
  email_verified: boolean | string;
}

export interface OidcTestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Accounts by id (the `sub`); tests add theirs. */
  accounts: Map<string, TestAccount>;
  /** Lifetime of the next authorization codes issued, in seconds (default 60). */
  codeTtlSeconds: number;
  /** The header the fake browser sends to the interaction page to log in as an account. */
  readonly loginHeader: string;
  /** Why the token endpoint refused each refused request, e.g. "authorization code is expired". */
  readonly grantErrors: string[];
  /** How many token requests succeeded. */
  readonly tokensIssued: () => number;
  /** The path of every request the provider served, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (`oidc-provider`) on port 0, with one confidential client whose
 * redirect URI is `redirectUri`. Log-in and consent are programmatic: the interaction page signs
 * in the account named by the `x-test-login` header and grants what the client asked for.
 */
export async function startOidcTestProvider(options: {
  redirectUri: string;
  /** Put scope claims (email) in the ID token too; by default they are in userinfo only (OIDC Core 5.4). */
  claimsInIdToken?: boolean;
}): Promise<OidcTestProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, TestAccount>();
  const clientId = 'tally-test';
  const clientSecret = crypto.randomBytes(24).toString('base64url');
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  let tokensIssued = 0;
  const state = {
    issuer,
    clientId,
    clientSecret,
    accounts,
    codeTtlSeconds: 60,
    loginHeader: 'x-test-login',
    grantErrors: [] as string[],
    tokensIssued: () => tokensIssued,
    requests: [] as string[],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  } satisfies OidcTestProvider;

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // Tally must send a PKCE challenge, or the provider refuses the request.
    pkce: { required: () => true, methods: ['S256'] },
    features: { devInteractions: { enabled: false } },
    conformIdTokenClaims: !options.claimsInIdToken,
    ttl: { AuthorizationCode: () => state.codeTtlSeconds },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub);
      return account ? { accountId: sub, claims: () => ({ sub, ...account }) } : undefined;
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.on('grant.error', (_ctx: unknown, error: { error_detail?: string; message: string }) => {
    state.grantErrors.push(error.error_detail ?? error.message);
  });
  provider.on('grant.success', () => {
    tokensIssued++;
  });
  const callback = provider.callback();

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    state.requests.push(new URL(req.url ?? '/', issuer).pathname);
    if (!req.url?.startsWith('/interaction/')) return void callback(req, res);
    interact(provider, req, res, state.loginHeader).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  return state;
}

async function interact(provider: Provider, req: http.IncomingMessage, res: http.ServerResponse, loginHeader: string): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  let result: InteractionResults;
  if (details.prompt.name === 'login') {
    const login = req.headers[loginHeader];
    if (typeof login !== 'string') throw new Error(`log in with the ${loginHeader} header`);
    result = { login: { accountId: login } };
  } else {
    // Consent: grant the scopes and claims the client asked for.
    const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params['client_id']) });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    result = { consent: { grantId: await grant.save() } };
  }
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}
