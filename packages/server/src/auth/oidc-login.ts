import crypto from 'node:crypto';
import * as client from 'openid-client';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../app-error.js';
import type { OidcConfig } from '../config/config.js';
import type { EphemeralStore } from '../kv/ephemeral-store.js';
import { hashSecretToken } from '../secret-token-hash.js';

/** How long a person has at the identity provider between start and callback. */
export const OIDC_FLOW_TTL_SECONDS = 600;
/** Bounds every request to the provider (discovery, token, userinfo, keys). */
const PROVIDER_TIMEOUT_SECONDS = 10;
const SCOPE = 'openid email';

/** What `start` hands the route: where to send the browser, and the secret to bind it with. */
export interface OidcStart {
  authorizationUrl: string;
  /** Goes in an httpOnly cookie; the callback must bring it back, so a state from another browser fails. */
  browserBinding: string;
}

/** A person the provider vouched for, with every check of the ID token passed. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  email: string | undefined;
  /** True only when the provider said `email_verified: true` (a boolean, not "true"). */
  emailVerified: boolean;
}

/**
 * Sign-in with an OpenID Connect provider: authorization code flow with PKCE, state and nonce,
 * through `openid-client`.
 */
export interface OidcLogin {
  readonly issuer: string;
  /** A fresh authorization request; its state, nonce and PKCE verifier wait server-side, single use. */
  start(): Promise<OidcStart>;
  /**
   * Checks the callback (`query` is its raw query string) against the flow its state names and
   * the browser's binding, trades the code, validates the ID token, and says who signed in.
   * AUTH_OIDC_STATE_INVALID, AUTH_OIDC_FAILED or AUTH_OIDC_UNAVAILABLE otherwise: never an identity.
   */
  finish(query: string, browserBinding: string | undefined): Promise<OidcIdentity>;
  /** Discovers the provider now, so that a wrong issuer shows in the log at start; never throws. */
  warmUp(): Promise<void>;
}

const FlowSchema = z.object({ nonce: z.string(), codeVerifier: z.string(), bindingHash: z.string() });
type Flow = z.infer<typeof FlowSchema>;

export function createOidcLogin(deps: { config: OidcConfig; kv: EphemeralStore; logger: Logger }): OidcLogin {
  const { config, kv, logger } = deps;

  // The provider's metadata, discovered once. A failed discovery is not kept: the next sign-in
  // tries again, and until one succeeds every sign-in is refused (AUTH_OIDC_UNAVAILABLE).
  let discovered: Promise<client.Configuration> | undefined;
  function provider(): Promise<client.Configuration> {
    discovered ??= discover().catch((error: unknown) => {
      discovered = undefined;
      logger.warn({ err: error, issuer: config.issuer }, 'OpenID Connect discovery failed');
      throw new AppError('AUTH_OIDC_UNAVAILABLE');
    });
    return discovered;
  }

  async function discover(): Promise<client.Configuration> {
    const execute: Array<(c: client.Configuration) => void> = [
      // The ID token's signature is checked against the provider's keys too, not only TLS.
      client.enableNonRepudiationChecks,
    ];
    // Config admits plain http only for an issuer on this machine (a local IdP, the tests).
    if (new URL(config.issuer).protocol === 'http:') execute.push(client.allowInsecureRequests);
    return client.discovery(new URL(config.issuer), config.clientId, undefined, client.ClientSecretBasic(config.clientSecret), {
      execute,
      timeout: PROVIDER_TIMEOUT_SECONDS,
    });
  }

  async function takeFlow(state: string | null, browserBinding: string | undefined): Promise<Flow> {
    if (!state || state.length > 512) throw new AppError('AUTH_OIDC_STATE_INVALID');
    // Taken, not read: a state is good for one callback, even a failed one.
    const raw = await kv.take(flowKey(state));
    const flow = raw ? FlowSchema.safeParse(JSON.parse(raw)) : undefined;
    if (!flow?.success) throw new AppError('AUTH_OIDC_STATE_INVALID');
    if (!browserBinding || !sameSecret(hashSecretToken(browserBinding), flow.data.bindingHash)) {
      throw new AppError('AUTH_OIDC_STATE_INVALID', 'This sign-in was started in another browser; start again.');
    }
    return flow.data;
  }

  return {
    issuer: config.issuer,

    async start() {
      const configuration = await provider();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const codeVerifier = client.randomPKCECodeVerifier();
      const browserBinding = crypto.randomBytes(32).toString('base64url');
      const flow: Flow = { nonce, codeVerifier, bindingHash: hashSecretToken(browserBinding) };
      await kv.set(flowKey(state), JSON.stringify(flow), OIDC_FLOW_TTL_SECONDS * 1000);
      const url = client.buildAuthorizationUrl(configuration, {
        redirect_uri: config.redirectUrl,
        scope: SCOPE,
        state,
        nonce,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      return { authorizationUrl: url.href, browserBinding };
    },

    async finish(query, browserBinding) {
      const params = new URLSearchParams(query);
      const flow = await takeFlow(params.get('state'), browserBinding);
      const configuration = await provider();
      // The URL the provider sent the browser to, rebuilt from configuration, never from the
      // request's Host header; openid-client sends it as the token request's redirect_uri.
      const callbackUrl = new URL(config.redirectUrl);
      callbackUrl.search = params.toString();
      try {
        // Checks state, the code with the PKCE verifier at the token endpoint, then the ID token:
        // signature, issuer, audience, expiry, issued-at and nonce.
        const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: params.get('state')!,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (!claims) throw new Error('no ID token');
        let { email, email_verified: emailVerified } = claims;
        if (email === undefined) {
          // Providers that follow OIDC Core 5.4 to the letter put scope claims in userinfo only.
          const info = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
          ({ email, email_verified: emailVerified } = info);
        }
        return {
          issuer: configuration.serverMetadata().issuer,
          subject: claims.sub,
          email: typeof email === 'string' ? email : undefined,
          emailVerified: emailVerified === true,
        };
      } catch (error) {
        logger.warn({ err: error, reason: reasonOf(error), issuer: config.issuer }, 'OpenID Connect callback refused');
        if (isUnreachable(error)) throw new AppError('AUTH_OIDC_UNAVAILABLE');
        throw new AppError('AUTH_OIDC_FAILED');
      }
    },

    async warmUp() {
      await provider().then(
        () => logger.info({ issuer: config.issuer }, 'OpenID Connect provider discovered'),
        () => undefined,
      );
    },
  };
}

function flowKey(state: string): string {
  // Hashed so that whatever a caller puts in `state` makes a short, plain key.
  return `oidc-flow:${hashSecretToken(state)}`;
}


function sameSecret(a: string, b: string): boolean {
  return a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** The provider's own words when it refused (`invalid_grant: ...`), else the error's message. */
function reasonOf(error: unknown): string {
  if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError) {
    return error.error_description ? `${error.error}: ${error.error_description}` : error.error;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A network failure or timeout talking to the provider, as opposed to an answer refusing us. */
function isUnreachable(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
    if (e instanceof TypeError && e.message === 'fetch failed') return true;
  }
  return false;
}
