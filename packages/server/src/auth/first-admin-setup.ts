import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../app-error.js';
import type { Db } from '../store/database.js';
import { SYSTEM_USER_ID } from '../store/system-user.js';

/**
 * Who may claim an empty server. The first account administers it, so on a server others can
 * reach, whoever signs up first would own it: there the first sign-up takes a setup token that
 * only someone who reads the server's log has (as Jupyter and Grafana do). A server that listens
 * and is published on this machine only (the embedded `npm start` on a laptop with
 * TALLY_HOST=127.0.0.1) needs none; DNS rebinding is stopped by the Host check (origin-policy.ts).
 */
export interface FirstAdminSetup {
  /** The token the first sign-up needs; null when none is needed. */
  readonly token: string | null;
  /** Throws AUTH_SETUP_TOKEN_INVALID unless `given` is the token (when one is needed). */
  assert(given: string | undefined): void;
}

/**
 * The token is derived from the token-signing secret, which every node of a deployment shares:
 * each node prints, and accepts, the same one, with nothing stored. It opens nothing once an
 * account exists.
 */
export function createFirstAdminSetup(deps: { secret: string; required: boolean }): FirstAdminSetup {
  const token = deps.required ? crypto.createHmac('sha256', deps.secret).update('tally first-admin setup v1').digest('base64url').slice(0, 32) : null;
  return {
    token,
    assert(given) {
      if (token === null) return;
      const a = Buffer.from(given ?? '');
      const b = Buffer.from(token);
      if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) throw new AppError('AUTH_SETUP_TOKEN_INVALID');
    },
  };
}

/** Prints where to claim the server while it has no account yet, and a setup token is needed. */
export async function announceFirstAdminSetup(deps: { db: Db; logger: Logger; setup: FirstAdminSetup; publicUrl: string }): Promise<void> {
  if (deps.setup.token === null) return;
  const account = await deps.db.selectFrom('users').select('id').where('id', '!=', SYSTEM_USER_ID).limit(1).executeTakeFirst();
  if (account) return;
  const url = `${deps.publicUrl}/?setup=${deps.setup.token}`;
  // warn: shown at every log level but error; the token opens nothing once an account exists.
  deps.logger.warn({ setupUrl: url }, `No account yet. Create the admin account at ${url} (the first sign-up needs this setup token: ${deps.setup.token})`);
}
