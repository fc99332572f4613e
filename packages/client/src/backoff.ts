/** How long to wait before reconnect attempt N. */
export interface BackoffOptions {
  /** Base delay of the first retry, in ms; default 250. */
  initialMs?: number;
  /** Ceiling of the base delay, in ms; default 15 000. */
  maxMs?: number;
  /** Growth per attempt; default 2. */
  factor?: number;
}

/**
 * Exponential backoff with "equal jitter": the base delay doubles per attempt up to the ceiling,
 * and the wait is drawn uniformly from [base/2, base]. Half is fixed so a client never hammers a
 * server that just went away; half is random so that thousands of clients dropped by the same
 * restart do not all come back in the same millisecond.
 *
 * @param attempt 0 for the first retry after a failure.
 * @param random a number in [0, 1), passed in so tests are deterministic.
 */
export function backoffDelay(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const initialMs = options.initialMs ?? 250;
  const maxMs = options.maxMs ?? 15_000;
  const factor = options.factor ?? 2;
  const base = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(base / 2 + (base / 2) * r);
}
