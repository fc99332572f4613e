import { z } from 'zod';

/** `GET /v1/auth/oidc/config`: whether the web app shows "Sign in with <issuer>". */
export const OidcConfigResponseSchema = z.object({
  enabled: z.boolean(),
  /** The identity provider's issuer URL; present when enabled. */
  issuer: z.string().optional(),
});
export type OidcConfigResponse = z.infer<typeof OidcConfigResponseSchema>;

/** Where the browser starts a sign-in with the identity provider (a plain navigation, not a fetch). */
export const OIDC_START_PATH = '/v1/auth/oidc/start';

/**
 * Where the server sends the browser when a sign-in with the identity provider ends. On success
 * the URL carries nothing (the refresh token is in an httpOnly cookie: POST /v1/auth/refresh);
 * on failure it carries `?error=<ErrorCode>` and nothing else.
 */
export const OIDC_COMPLETE_ROUTE = '/#/oidc-complete';
