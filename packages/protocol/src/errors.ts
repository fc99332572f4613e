/**
 * The one table of error codes. Every error Tally returns, over HTTP or WebSocket, carries one of
 * these codes and the HTTP status it maps to. A foreign id is always a *_NOT_FOUND, never a 403,
 * so that ids of other users' resources cannot be probed.
 */
export const ERROR_CODES = {
  // request shape
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid.' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  // authentication
  AUTH_REQUIRED: { status: 401, message: 'Authentication is required.' },
  AUTH_INVALID_TOKEN: { status: 401, message: 'The access token is invalid or expired.' },
  AUTH_INVALID_CREDENTIALS: { status: 401, message: 'Email or password is wrong.' },
  AUTH_INVALID_REFRESH_TOKEN: { status: 401, message: 'The refresh token is invalid or expired.' },
  AUTH_INVALID_TICKET: { status: 401, message: 'The WebSocket ticket is invalid, used or expired.' },
  AUTH_EMAIL_TAKEN: { status: 409, message: 'An account with this email already exists.' },
  // 403, not 401: the caller's token is fine, and a 401 would make clients refresh and retry.
  AUTH_WRONG_CURRENT_PASSWORD: { status: 403, message: 'The current password is wrong.' },
  AUTH_WEAK_PASSWORD: { status: 400, message: 'The password is too weak.' },
  // sign-in with OpenID Connect
  AUTH_OIDC_DISABLED: { status: 404, message: 'Sign-in with an identity provider is not configured.' },
  AUTH_OIDC_UNAVAILABLE: { status: 503, message: 'The identity provider cannot be reached; try again later.' },
  AUTH_OIDC_STATE_INVALID: { status: 400, message: 'The sign-in attempt is invalid, already used, expired or from another browser; start again.' },
  AUTH_OIDC_FAILED: { status: 401, message: 'Sign-in with the identity provider failed.' },
  AUTH_OIDC_EMAIL_UNVERIFIED: { status: 403, message: 'The identity provider did not confirm your email address, so it cannot be used to sign in.' },
  AUTH_SIGNUP_CLOSED: { status: 403, message: 'Sign-up is closed on this server; ask an admin for an account.' },
  AUTH_SESSION_REVOKED: { status: 401, message: 'This session was ended; sign in again.' },
  AUTH_REFRESH_REUSED: { status: 401, message: 'This refresh token was already used; the session was ended to protect the account.' },
  AUTH_REFRESH_CONFLICT: { status: 409, message: 'The refresh token was just used by another tab; retry with the new one.' },
  AUTH_THROTTLED: { status: 429, message: 'Too many failed log-ins; wait before trying again.' },
  AUTH_ORIGIN_FORBIDDEN: { status: 403, message: 'Requests from this origin are not allowed.' },
  AUTH_HOST_FORBIDDEN: { status: 403, message: 'This server does not answer to this host name; its admin can add it to TALLY_PUBLIC_URL or TALLY_ALLOWED_HOSTS.' },
  AUTH_SETUP_TOKEN_INVALID: { status: 403, message: 'The first account of this server needs the setup token printed in its log.' },
  SESSION_NOT_FOUND: { status: 404, message: 'Session not found.' },
  // API keys, roles and disabled accounts
  AUTH_INVALID_API_KEY: { status: 401, message: 'The API key is invalid or revoked.' },
  AUTH_ACCOUNT_DISABLED: { status: 401, message: 'This account is disabled; ask an administrator.' },
  AUTH_INVALID_RESET_TOKEN: { status: 401, message: 'The password reset token is invalid, used or expired.' },
  AUTH_SCOPE_DENIED: { status: 403, message: 'This credential does not allow this request.' },
  AUTH_FORBIDDEN: { status: 403, message: 'Only an administrator may do this.' },
  USER_LAST_ADMIN: { status: 409, message: 'The server must keep at least one active administrator.' },
  // resources (a foreign id answers the same as a missing one)
  THREAD_NOT_FOUND: { status: 404, message: 'Thread not found.' },
  RUN_NOT_FOUND: { status: 404, message: 'Run not found.' },
  THREAD_READ_ONLY: { status: 403, message: 'This thread was shared with the workspace by its author: you may read it, not change it.' },
  API_KEY_NOT_FOUND: { status: 404, message: 'API key not found.' },
  USER_NOT_FOUND: { status: 404, message: 'User not found.' },
  PRICE_OVERRIDE_NOT_FOUND: { status: 404, message: 'No price override for this model.' },
  REPRICE_JOB_NOT_FOUND: { status: 404, message: 'No re-pricing job with this id.' },
  // workspaces (a workspace the caller is not a member of is as unknown as a missing one)
  WORKSPACE_NOT_FOUND: { status: 404, message: 'Workspace not found.' },
  WORKSPACE_MEMBER_NOT_FOUND: { status: 404, message: 'No member with this id in the workspace.' },
  WORKSPACE_INVITATION_NOT_FOUND: { status: 404, message: 'Invitation not found.' },
  WORKSPACE_FORBIDDEN: { status: 403, message: 'Your role in this workspace does not allow this.' },
  WORKSPACE_LAST_OWNER: { status: 409, message: 'A workspace must keep an owner: hand it over to another member first.' },
  WORKSPACE_PERSONAL: { status: 409, message: 'A personal workspace is yours alone: it cannot be shared, left or handed over.' },
  WORKSPACE_ALREADY_MEMBER: { status: 409, message: 'You are already a member of this workspace.' },
  WORKSPACE_INVITATION_INVALID: { status: 410, message: 'The invitation is invalid, used, revoked or expired; ask for a new one.' },
  WORKSPACE_INVITATION_WRONG_EMAIL: { status: 403, message: 'This invitation was sent to another email address; sign in with that one.' },
  // prices
  CATALOG_DATA_INVALID: { status: 400, message: 'The genai-prices data file is not valid.' },
  REPRICE_PREVIEW_REQUIRED: { status: 409, message: 'Apply a re-pricing from a finished preview made with the prices in force now; preview again.' },
  REPRICE_IN_PROGRESS: { status: 409, message: 'A re-pricing is already running; wait for it to finish.' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such route.' },
  // provider connectors (issue 18)
  CONNECTOR_NOT_FOUND: { status: 404, message: 'This workspace has no connector for that provider.' },
  CONNECTOR_ENCRYPTION_UNAVAILABLE: { status: 409, message: 'Connectors need an encryption key for admin keys (TALLY_CONNECTOR_KEY) on this server; ask its operator to set it.' },
  CONNECTOR_KEY_REJECTED: { status: 502, message: 'The provider refused the admin key (401/403); check it has the usage and cost read scopes.' },
  CONNECTOR_KEY_UNREADABLE: { status: 500, message: 'The stored admin key cannot be decrypted with the configured TALLY_CONNECTOR_KEY; enter the admin key again.' },
  CONNECTOR_PROVIDER_UNAVAILABLE: { status: 502, message: 'The provider could not be reached or kept failing; the sync is tried again later.' },
  CONNECTOR_PROVIDER_INVALID: { status: 502, message: 'The provider answered with something its documentation does not describe.' },
  // runs
  RUN_ALREADY_FINISHED: { status: 409, message: 'The run has already finished.' },
  RUN_NOT_FINISHED: { status: 409, message: 'The run has not finished yet; rate its answer once it has.' },
  THREAD_BUSY: { status: 409, message: 'A run is already in progress in this thread.' },
  RUN_LIMIT_REACHED: { status: 429, message: 'You have too many runs going at once; wait for one to finish.' },
  SOCKET_LIMIT_REACHED: { status: 429, message: 'You have too many connections open.' },
  // usage ingestion
  USAGE_INVALID_RECORD: { status: 400, message: 'A usage record is not valid.' },
  USAGE_EMPTY: { status: 400, message: 'The upload holds no usage record.' },
  USAGE_FORMAT_UNKNOWN: { status: 400, message: 'No usage format fits the upload; pick one, or map its CSV columns.' },
  // WebSocket frames
  FRAME_INVALID_JSON: { status: 400, message: 'The frame is not valid JSON.' },
  FRAME_INVALID: { status: 400, message: 'The frame does not match the protocol.' },
  FRAME_UNKNOWN_TYPE: { status: 400, message: 'Unknown command type.' },
  FRAME_UNSUPPORTED_VERSION: { status: 400, message: 'Unsupported protocol version.' },
  FRAME_TOO_LARGE: { status: 413, message: 'The frame is too large.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; slow down.' },
  // server side
  INTERNAL: { status: 500, message: 'Internal error.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'A service Tally depends on is unavailable.' },
  // the configured LLM (ends a run as run_failed)
  LLM_TIMEOUT: { status: 504, message: 'The LLM did not answer in time.' },
  LLM_UNAVAILABLE: { status: 502, message: 'The LLM could not be reached or refused the request.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
