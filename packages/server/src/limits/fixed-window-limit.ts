import { AppError } from '../app-error.js';
import type { EphemeralStore } from '../kv/ephemeral-store.js';

export interface FixedWindowLimit {
  /** Counts one hit for `subject`; throws RATE_LIMITED past the limit of the current window. */
  hit(subject: string): Promise<void>;
}

/** At most `limit` hits per subject per window, counted across nodes. */
export function createFixedWindowLimit(kv: EphemeralStore, options: { name: string; limit: number; windowMs: number }, now: () => number = Date.now): FixedWindowLimit {
  return {
    async hit(subject) {
      const window = Math.floor(now() / options.windowMs);
      const count = await kv.increment(`rate:${options.name}:${subject}:${window}`, options.windowMs);
      if (count > options.limit) {
        const seconds = Math.ceil(((window + 1) * options.windowMs - now()) / 1000);
        throw new AppError('RATE_LIMITED', `At most ${options.limit} ${options.name} per ${options.windowMs / 1000} s; try again in ${seconds} s.`, {
          retryAfterSeconds: seconds,
        });
      }
    },
  };
}
