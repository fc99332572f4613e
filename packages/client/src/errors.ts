import { ERROR_CODES, ErrorBodySchema, type ErrorCode } from '@tally/protocol';

/**
 * An error the Tally server answered with: over HTTP (`{error: {code, message}}` with a status)
 * or over the WebSocket (an `error` frame, whose status is looked up in the protocol's table).
 * `code` is one of the protocol's ERROR_CODES, or CLIENT_* codes for errors this SDK raises
 * itself when an answer cannot be understood.
 */
export class TallyApiError extends Error {
  constructor(
    /** HTTP status; for a WebSocket error frame, the status its code maps to (0 when unknown). */
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'TallyApiError';
  }
}

/** An `error` frame answering one WebSocket command. */
export class TallyCommandError extends TallyApiError {
  constructor(
    /** The id of the command it answers, or null when the server could not read one. */
    readonly commandId: string | null,
    code: string,
    message: string,
  ) {
    super(statusOfCode(code), code, message);
    this.name = 'TallyCommandError';
  }
}

/** A request or command that got no answer in time. */
export class TallyTimeoutError extends Error {
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`${operation} got no answer within ${timeoutMs} ms`);
    this.name = 'TallyTimeoutError';
  }
}

/** The connection could not be made, or was closed (by `close()` or for good) before an answer. */
export class TallyConnectionError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TallyConnectionError';
  }
}

/** The HTTP status a protocol error code maps to; 0 for a code this client does not know. */
export function statusOfCode(code: string): number {
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode].status : 0;
}

/**
 * Builds the error for a non-2xx HTTP answer from its status and raw body text. A body that is
 * not the protocol's error shape (a proxy's HTML page, say) still yields a typed error.
 */
export function apiErrorFromResponse(status: number, bodyText: string): TallyApiError {
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    json = undefined;
  }
  const parsed = ErrorBodySchema.safeParse(json);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new TallyApiError(status, code, message, details);
  }
  const snippet = bodyText.trim().slice(0, 200);
  return new TallyApiError(
    status,
    'CLIENT_UNEXPECTED_RESPONSE',
    `HTTP ${status}${snippet ? `: ${snippet}` : ' with an empty body'}`,
    // Kept so a caller can still read a body of another shape (see uploadUsage).
    json,
  );
}

/** True for errors that mean the credential is not (or no longer) valid. */
export function isAuthError(error: unknown): boolean {
  return error instanceof TallyApiError && error.status === 401;
}
