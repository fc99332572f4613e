/**
 * The one table of WebSocket close codes Tally uses, with when each is sent; docs/PROTOCOL.md's
 * close-code table is generated from it (scripts/generate-error-docs.ts) and a test keeps them in
 * step. 1008 (policy violation) and 1009 (message too big) are the standard ones for abuse;
 * 4000 + an HTTP status carries a typed reason; the close reason starts with an error code where
 * one applies (`AUTH_SESSION_REVOKED: ...`).
 */
export const CLOSE_CODE_TABLE = {
  NORMAL: { code: 1000, when: 'the client ends the socket (the server does not send it)' },
  POLICY_VIOLATION: { code: 1008, when: 'more than 50 frames in a second (reason `RATE_LIMITED`), or an upgrade that lost its identity' },
  MESSAGE_TOO_BIG: { code: 1009, when: 'a frame over 64 KiB' },
  HEARTBEAT_TIMEOUT: { code: 4000, when: 'no pong to the previous ping (each heartbeat, 30 s by default): the peer is taken for gone, and cut off 1 s later if it does not answer the close' },
  SLOW_CONSUMER: { code: 4008, when: '`SLOW_CONSUMER`: the socket fell past its send bound; reconnect and resume by seq' },
  UNAUTHORIZED: {
    code: 4401,
    when: 'the credential that opened the socket ended (reason `AUTH_SESSION_REVOKED`, `AUTH_INVALID_API_KEY` or `AUTH_ACCOUNT_DISABLED`): session revoked or logged out, password changed, API key revoked, account disabled; sign in again',
  },
  RECONNECT_ELSEWHERE: { code: 4503, when: 'the node is shutting down: reconnect (to another node) and resume by seq' },
} as const satisfies Record<string, { code: number; when: string }>;

type CloseCodeTable = typeof CLOSE_CODE_TABLE;

/** The close codes by name, e.g. `CLOSE_CODES.UNAUTHORIZED` (4401). */
export const CLOSE_CODES = Object.fromEntries(Object.entries(CLOSE_CODE_TABLE).map(([name, { code }]) => [name, code])) as {
  readonly [K in keyof CloseCodeTable]: CloseCodeTable[K]['code'];
};

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];
