import type { FastifyError, FastifyInstance } from 'fastify';
import type { ErrorBody } from '@tally/protocol';
import { AppError, isAppError } from '../app-error.js';
import { isConnectionError } from '../store/postgres-errors.js';
import { isRedisUnavailable } from '../logging/redis-connection-log.js';

/** Maps every error to `{error: {code, message}}` with the code's status, once, here. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const mapped = toAppError(error);
    if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
    const body: ErrorBody = { error: { code: mapped.code, message: mapped.message, ...(mapped.details !== undefined ? { details: mapped.details } : {}) } };
    const retryAfter = retryAfterSeconds(mapped);
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    void reply.status(mapped.status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = { error: { code: 'ROUTE_NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}.` } };
    void reply.status(404).send(body);
  });
}

/** A store that could not serve the request (overload, a restart) is worth trying again shortly. */
const SERVICE_UNAVAILABLE_RETRY_SECONDS = 1;

/**
 * Retry-After for a refusal that passes: a limit's own wait (its details' retryAfterSeconds), or a
 * second for SERVICE_UNAVAILABLE (no connection within the pool's bounded wait, a store away).
 */
function retryAfterSeconds(error: AppError): number | undefined {
  if (error.status !== 429 && error.status !== 503) return undefined;
  const given = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (typeof given === 'number' && Number.isFinite(given) && given > 0) return Math.ceil(given);
  return error.code === 'SERVICE_UNAVAILABLE' ? SERVICE_UNAVAILABLE_RETRY_SECONDS : undefined;
}

function toAppError(error: FastifyError | AppError): AppError {
  if (isAppError(error)) return error;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('VALIDATION_FAILED', 'Unsupported content type.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('VALIDATION_FAILED', 'The body is not valid JSON.');
    default:
      if (error.statusCode === 400 || error.name === 'SyntaxError') return new AppError('VALIDATION_FAILED', 'The request is not valid.');
      if (error.statusCode === 413) return new AppError('BODY_TOO_LARGE');
      // Input the schemas let through but the database cannot hold: the client's, not a 500.
      if (isDataException(error)) return new AppError('VALIDATION_FAILED', 'A value is outside what the server can store.');
      // A store restarting or failing over: the client may try again, and nothing was half done.
      if (isConnectionError(error) || isRedisUnavailable(error)) return new AppError('SERVICE_UNAVAILABLE');
      return new AppError('INTERNAL');
  }
}

/**
 * A PostgreSQL data exception (SQLSTATE class 22: a value out of range, a NUL byte, a bad time):
 * the boundary's input rule (protocol safe-text.ts) refuses these first; this is the last guard.
 */
export function isDataException(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}
