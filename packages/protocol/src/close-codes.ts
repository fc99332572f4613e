/**
 * WebSocket close codes Tally uses. 1008 (policy violation) and 1009 (message too big) are the
 * standard ones for abuse; 4000 + HTTP status carries a typed error on close.
 */
export const CLOSE_CODES = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  /** The server is shutting down: reconnect (to another node) and resume by seq. */
  RECONNECT_ELSEWHERE: 4503,
  /** The credential behind this socket was revoked. */
  UNAUTHORIZED: 4401,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];
