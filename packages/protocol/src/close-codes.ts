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
  /** The socket fell too far behind (its send buffer passed the bound): reconnect and resume by seq. */
  SLOW_CONSUMER: 4008,
  /** No pong to the server's ping within a heartbeat: the peer is gone. */
  HEARTBEAT_TIMEOUT: 4000,
  /** The credential behind this socket was revoked. */
  UNAUTHORIZED: 4401,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];
