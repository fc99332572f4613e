import { AppError, isAppError } from './app-error.js';
import { isRedisUnavailable } from './logging/redis-connection-log.js';
import { isConnectionError, isDataException } from './store/postgres-errors.js';

/**
 * The AppError a client is answered with for any error that is not the HTTP layer's own: an
 * AppError as it is; a value the database cannot hold, the client's (VALIDATION_FAILED); a store
 * away, worth a retry (SERVICE_UNAVAILABLE); anything else INTERNAL. The HTTP error handler maps
 * through it, and so does a thread that answers the main thread with a code (the OTLP ingest thread).
 */
export function appErrorOf(error: unknown): AppError {
  if (isAppError(error)) return error;
  // Input the schemas let through but the database cannot hold: the client's, not a 500.
  if (isDataException(error)) return new AppError('VALIDATION_FAILED', 'A value is outside what the server can store.');
  // A store restarting or failing over: the client may try again, and nothing was half done.
  if (isConnectionError(error) || isRedisUnavailable(error)) return new AppError('SERVICE_UNAVAILABLE');
  return new AppError('INTERNAL');
}
