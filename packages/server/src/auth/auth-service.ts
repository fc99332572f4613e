import crypto from 'node:crypto';
import type { AuthResponse, Credentials, User } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { Db } from '../store/database.js';
import type { UserRow } from '../store/schema.js';
import type { AccessTokens } from './access-tokens.js';
import { assertPasswordStrength, hashPassword, verifyPassword } from './passwords.js';

export interface AuthService {
  signup(credentials: Credentials): Promise<AuthResponse>;
  login(credentials: Credentials): Promise<AuthResponse>;
  /** Trades a refresh token for a new pair; the old refresh token stops working. */
  refresh(refreshToken: string): Promise<AuthResponse>;
}

export function createAuthService(deps: {
  db: Db;
  tokens: AccessTokens;
  refreshTtlSeconds: number;
  now?: () => Date;
}): AuthService {
  const { db, tokens } = deps;
  const now = deps.now ?? (() => new Date());
  // Verified when the account does not exist, so a log-in's timing does not tell whether it does.
  let dummyHash: Promise<string> | undefined;
  const dummyPasswordHash = () => (dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex')));

  async function issue(user: UserRow, sessionId: string = crypto.randomUUID()): Promise<AuthResponse> {
    const refreshToken = crypto.randomBytes(32).toString('base64url');
    const expiresAt = new Date(now().getTime() + deps.refreshTtlSeconds * 1000);
    await db
      .insertInto('sessions')
      .values({ id: sessionId, user_id: user.id, refresh_token_hash: sha256(refreshToken), expires_at: expiresAt })
      .execute();
    const accessToken = await tokens.sign({ userId: user.id, email: user.email, role: user.role });
    return { accessToken, expiresIn: tokens.ttlSeconds, refreshToken, user: toUser(user) };
  }

  return {
    async signup({ email, password }) {
      assertPasswordStrength(password);
      const passwordHash = await hashPassword(password);
      const user = await db.transaction().execute(async (tx) => {
        // The first account of an empty server administers it.
        const { count } = await tx
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<string>().as('count'))
          .executeTakeFirstOrThrow();
        const inserted = await tx
          .insertInto('users')
          .values({ id: crypto.randomUUID(), email, password_hash: passwordHash, role: Number(count) === 0 ? 'admin' : 'member' })
          .onConflict((oc) => oc.column('email').doNothing())
          .returningAll()
          .executeTakeFirst();
        return inserted;
      });
      if (!user) throw new AppError('AUTH_EMAIL_TAKEN');
      return issue(user);
    },

    async login({ email, password }) {
      const user = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
      const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), password);
      if (!user || !ok) throw new AppError('AUTH_INVALID_CREDENTIALS');
      return issue(user);
    },

    async refresh(refreshToken) {
      const hash = sha256(refreshToken);
      const session = await db
        .updateTable('sessions')
        .set({ revoked_at: now() })
        .where('refresh_token_hash', '=', hash)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now())
        .returningAll()
        .executeTakeFirst();
      if (!session) throw new AppError('AUTH_INVALID_REFRESH_TOKEN');
      const user = await db.selectFrom('users').selectAll().where('id', '=', session.user_id).executeTakeFirst();
      if (!user) throw new AppError('AUTH_INVALID_REFRESH_TOKEN');
      return issue(user);
    },
  };
}

export function toUser(row: Pick<UserRow, 'id' | 'email' | 'role'>): User {
  return { id: row.id, email: row.email, role: row.role };
}

function sha256(value: string): string {
  return crypto.createHash('sha256').update(value).digest('hex');
}
