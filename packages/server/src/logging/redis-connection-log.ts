import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createOutageLog } from './outage-log.js';

/**
 * Gives an ioredis client the 'error' listener it needs (without one, each failed reconnect prints
 * a stack trace to stderr as an unhandled error event) and sends its errors to the node's log,
 * rate-limited (outage-log.ts). ioredis itself keeps reconnecting.
 */
export function logRedisErrors(redis: Redis, logger: Logger | undefined, name: string): void {
  const outage = createOutageLog(logger, `redis ${name}`);
  redis.on('error', (error: Error) => outage.failed(error));
  redis.on('ready', () => outage.recovered());
}

/** Whether a Redis command failed because Redis is away (ioredis gave up on it or could not send it). */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'MaxRetriesPerRequestError' || /^Connection is closed|enableOfflineQueue options is false|Reached the max retries per request/.test(error.message);
}
