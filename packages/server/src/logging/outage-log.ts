import type { Logger } from 'pino';

/** At most one line per this many ms about a connection that keeps failing. */
const REPEAT_MS = 30_000;

export interface OutageLog {
  failed(error: unknown): void;
  recovered(): void;
}

/**
 * Logs a store connection's failures without flooding the log during an outage: the first at
 * once, then one line per 30 s with how many were left out, and one line when it is back. Only
 * the error's message and code are logged (a driver's error object can carry connection details).
 */
export function createOutageLog(logger: Logger | undefined, connection: string, now: () => number = Date.now): OutageLog {
  let failures = 0;
  let lastLoggedAt = 0;
  let leftOut = 0;
  return {
    failed(error) {
      failures++;
      const at = now();
      if (failures > 1 && at - lastLoggedAt < REPEAT_MS) {
        leftOut++;
        return;
      }
      const err = error instanceof Error ? { message: error.message, code: (error as { code?: unknown }).code } : { message: String(error) };
      logger?.warn({ err, connection, errorsLeftOut: leftOut }, 'connection failing; reconnecting');
      lastLoggedAt = at;
      leftOut = 0;
    },
    recovered() {
      if (failures > 0) logger?.info({ connection, errors: failures }, 'connection back');
      failures = 0;
      leftOut = 0;
    },
  };
}
