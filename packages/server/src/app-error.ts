import { ERROR_CODES, type ErrorCode } from '@tally/protocol';

/**
 * The server's one error class. Throw it anywhere; the HTTP error handler and the gateway each
 * map it once, to `{error: {code, message}}` with the code's status, or to an `error` frame.
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CODES[code].message,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
