import crypto from 'node:crypto';
import type { AuthResponse, Credentials, SignupRequest, User } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { Db } from '../store/database.js';
import type { UserRow } from '../store/schema.js';
import { createPersonalWorkspace } from '../workspaces/personal-workspace.js';
import { SYSTEM_USER_ID } from '../store/system-user.js';
import type { AccessTokens } from './access-tokens.js';
import type { FirstAdminSetup } from './first-admin-setup.js';
import type { PasswordPolicy } from './password-policy.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { SessionService } from './session-service.js';
import { hashSecretToken } from '../secret-token-hash.js';

/** Where a sign-in comes from: shown in the user's session list. */
export interface ClientInfo {
  device: string;
  ip: string;
}

export interface AuthService {
  /** The first account of an empty server is its admin; it may need the setup token (first-admin-setup.ts). */
  signup(request: SignupRequest, client: ClientInfo): Promise<AuthResponse>;
  login(credentials: Credentials, client: ClientInfo): Promise<AuthResponse>;
  /**
   * Trades a refresh token for a new pair; the old one stops working. A token used a second time
   * (stolen, or replayed) ends its whole session: AUTH_REFRESH_REUSED.
   */
  refresh(refreshToken: string, client: ClientInfo): Promise<AuthResponse>;
  /** Ends the session a refresh token belongs to; unknown tokens are ignored. */
  logout(refreshToken: string): Promise<void>;
  /** A new session for a user authenticated another way (OpenID Connect). */
  startSession(user: Pick<UserRow, 'id' | 'email' | 'role' | 'display_name'>, client: ClientInfo): Promise<AuthResponse>;
  /** Checks the current password, sets the new one, and ends every other session of the user. */
  changePassword(userId: string, currentSessionId: string | undefined, current: string, next: string): Promise<void>;
}


export function createAuthService(deps: {
  db: Db;
  tokens: AccessTokens;
  sessions: SessionService;
  passwords: PasswordPolicy;
  refreshTtlSeconds: number;
  /**
   * Two tabs refreshing with the same cookie at once is not theft: a token reused within this
   * window answers AUTH_REFRESH_CONFLICT (retry with the cookie the other tab got) instead of
   * ending the session. Either way the replayed token yields nothing.
   */
  reuseGraceMs: number;
  /** `closed`: only the first account of an empty server may sign up. */
  signup?: 'open' | 'closed';
  /** Checks the setup token of the first sign-up (none needed when absent). */
  firstAdmin?: FirstAdminSetup;
  /** Told of security events (log-in failure, refresh reuse...), e.g. the audit log. */
  onSecurityEvent?: (event: { action: string; userId: string | null; ip: string; details?: Record<string, unknown> }) => Promise<void> | void;
  now?: () => Date;
}): AuthService {
  const { db, tokens, sessions } = deps;
  const now = deps.now ?? (() => new Date());
  const report = async (event: Parameters<NonNullable<typeof deps.onSecurityEvent>>[0]) => {
    await deps.onSecurityEvent?.(event);
  };
  // Verified when the account does not exist, so a log-in's timing does not tell whether it does.
  let dummyHash: Promise<string> | undefined;
  const dummyPasswordHash = () => (dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex')));

  async function issueToken(user: Pick<UserRow, 'id' | 'email' | 'role' | 'display_name'>, sessionId: string, executor: Db = db): Promise<AuthResponse> {
    const refreshToken = crypto.randomBytes(32).toString('base64url');
    await executor
      .insertInto('refresh_tokens')
      .values({
        id: crypto.randomUUID(),
        user_id: user.id,
        session_id: sessionId,
        refresh_token_hash: hashSecretToken(refreshToken),
        expires_at: new Date(now().getTime() + deps.refreshTtlSeconds * 1000),
      })
      .execute();
    const accessToken = await tokens.sign({ userId: user.id, email: user.email, role: user.role, sessionId });
    return { accessToken, expiresIn: tokens.ttlSeconds, refreshToken, user: toUser(user) };
  }

  async function startSession(user: Pick<UserRow, 'id' | 'email' | 'role' | 'display_name'>, client: ClientInfo): Promise<AuthResponse> {
    const sessionId = crypto.randomUUID();
    await db
      .insertInto('auth_sessions')
      .values({ id: sessionId, user_id: user.id, device: client.device.slice(0, 200), ip: client.ip.slice(0, 64) })
      .execute();
    return issueToken(user, sessionId);
  }

  return {
    startSession,

    async signup({ email, password, setupToken }, client) {
      deps.passwords.assertAcceptable(password, email);
      const passwordHash = await hashPassword(password);
      const user = await db.transaction().execute(async (tx) => {
        // The first account of an empty server administers it.
        const { count } = await tx
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<string>().as('count'))
          .where('id', '!=', SYSTEM_USER_ID)
          .executeTakeFirstOrThrow();
        // Decided before the email is looked at, so a closed server tells nothing about who has an account.
        if (Number(count) > 0 && deps.signup === 'closed') throw new AppError('AUTH_SIGNUP_CLOSED');
        // Whoever claims an empty server reachable by others proves they read its log.
        if (Number(count) === 0) deps.firstAdmin?.assert(setupToken);
        const created = await tx
          .insertInto('users')
          .values({ id: crypto.randomUUID(), email, password_hash: passwordHash, role: Number(count) === 0 ? 'admin' : 'member' })
          .onConflict((oc) => oc.column('email').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (created) await createPersonalWorkspace(tx, created.id);
        return created;
      });
      if (!user) throw new AppError('AUTH_EMAIL_TAKEN');
      await report({ action: 'auth.signup', userId: user.id, ip: client.ip });
      return startSession(user, client);
    },

    async login({ email, password }, client) {
      const user = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
      const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), password);
      if (!user || !ok) {
        await report({ action: 'auth.login_failed', userId: user?.id ?? null, ip: client.ip, details: { email } });
        throw new AppError('AUTH_INVALID_CREDENTIALS');
      }
      // Told only after the right password, so it reveals nothing to a guesser.
      if (user.disabled_at) {
        await report({ action: 'auth.login_failed', userId: user.id, ip: client.ip, details: { email, reason: 'account disabled' } });
        throw new AppError('AUTH_ACCOUNT_DISABLED');
      }
      await report({ action: 'auth.login', userId: user.id, ip: client.ip });
      return startSession(user, client);
    },

    async refresh(refreshToken, client) {
      const row = await db.selectFrom('refresh_tokens').selectAll().where('refresh_token_hash', '=', hashSecretToken(refreshToken)).executeTakeFirst();
      if (!row) throw new AppError('AUTH_INVALID_REFRESH_TOKEN');
      // Taking the token is one conditional update, so two concurrent uses cannot both win.
      const taken = await db
        .updateTable('refresh_tokens')
        .set({ used_at: now() })
        .where('id', '=', row.id)
        .where('used_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now())
        .returning('id')
        .executeTakeFirst();
      if (!taken) {
        if (row.used_at && now().getTime() - new Date(row.used_at).getTime() < deps.reuseGraceMs && !row.revoked_at) {
          throw new AppError('AUTH_REFRESH_CONFLICT');
        }
        if (row.used_at) {
          // Only the session the replayed token belongs to is ended, not the user's other devices.
          await sessions.revoke(row.user_id, row.session_id, 'refresh token reused').catch(() => undefined);
          await report({ action: 'auth.refresh_reused', userId: row.user_id, ip: client.ip, details: { sessionId: row.session_id } });
          throw new AppError('AUTH_REFRESH_REUSED');
        }
        throw new AppError('AUTH_INVALID_REFRESH_TOKEN');
      }
      const session = await db
        .updateTable('auth_sessions')
        .set({ last_seen_at: now(), ip: client.ip.slice(0, 64) })
        .where('id', '=', row.session_id)
        .where('revoked_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      const user = await db.selectFrom('users').select(['id', 'email', 'role', 'display_name']).where('id', '=', row.user_id).executeTakeFirst();
      if (!session || !user) throw new AppError('AUTH_INVALID_REFRESH_TOKEN');
      return issueToken(user, row.session_id);
    },

    async logout(refreshToken) {
      const row = await db.selectFrom('refresh_tokens').select(['user_id', 'session_id']).where('refresh_token_hash', '=', hashSecretToken(refreshToken)).executeTakeFirst();
      if (row) await sessions.revoke(row.user_id, row.session_id, 'logged out').catch(() => undefined);
    },

    async changePassword(userId, currentSessionId, current, next) {
      const user = await db.selectFrom('users').select(['email', 'password_hash']).where('id', '=', userId).executeTakeFirst();
      if (!user || !(await verifyPassword(user.password_hash, current))) throw new AppError('AUTH_WRONG_CURRENT_PASSWORD');
      deps.passwords.assertAcceptable(next, user.email);
      await db.updateTable('users').set({ password_hash: await hashPassword(next) }).where('id', '=', userId).execute();
      await sessions.revokeAllExcept(userId, currentSessionId, 'password changed');
      await report({ action: 'auth.password_changed', userId, ip: '' });
    },
  };
}

export function toUser(row: Pick<UserRow, 'id' | 'email' | 'role' | 'display_name'>): User {
  return { id: row.id, email: row.email, role: row.role, displayName: row.display_name };
}

