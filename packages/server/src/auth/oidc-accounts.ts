import crypto from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../app-error.js';
import type { Db } from '../store/database.js';
import type { UserRow } from '../store/schema.js';
import { SYSTEM_USER_ID, UNUSABLE_PASSWORD_HASH } from '../store/system-user.js';
import type { OidcIdentity } from './oidc-login.js';
import { createPersonalWorkspace } from '../workspaces/personal-workspace.js';

/** What became of a sign-in: the user, and whether this identity was just linked or created. */
export interface OidcAccountResult {
  user: UserRow;
  outcome: 'returning' | 'linked' | 'created';
}

export interface OidcAccounts {
  /**
   * The Tally user of a provider identity. A known (issuer, subject) is that user. Otherwise the
   * provider must have verified the email (AUTH_OIDC_EMAIL_UNVERIFIED): the account with that
   * email is linked, or one is created. An unverified email is never linked nor used to create an
   * account, which someone could otherwise squat for the email's real owner. A disabled account
   * is refused (AUTH_ACCOUNT_DISABLED), and not linked.
   */
  userFor(identity: OidcIdentity): Promise<OidcAccountResult>;
}

const EmailSchema = z.string().trim().toLowerCase().email().max(254);

export function createOidcAccounts(deps: {
  db: Db;
  /**
   * Whether the first account made here may administer the server: not where a setup token
   * guards the claim (first-admin-setup.ts), which a provider's sign-in does not carry; there the
   * admin signs up with the token (or is made with `tally user create --admin`).
   */
  firstAccountIsAdmin?: boolean;
  now?: () => Date;
}): OidcAccounts {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  async function linkedUser(executor: Db, identity: OidcIdentity): Promise<UserRow | undefined> {
    return executor
      .selectFrom('oidc_identities')
      .innerJoin('users', 'users.id', 'oidc_identities.user_id')
      .selectAll('users')
      .where('oidc_identities.issuer', '=', identity.issuer)
      .where('oidc_identities.subject', '=', identity.subject)
      .executeTakeFirst();
  }

  return {
    async userFor(identity) {
      const returning = await linkedUser(db, identity);
      if (returning) {
        if (returning.disabled_at) throw new AppError('AUTH_ACCOUNT_DISABLED');
        await db
          .updateTable('oidc_identities')
          .set({ last_login_at: now() })
          .where('issuer', '=', identity.issuer)
          .where('subject', '=', identity.subject)
          .execute();
        return { user: returning, outcome: 'returning' };
      }

      const email = EmailSchema.safeParse(identity.email);
      if (!identity.emailVerified || !email.success) throw new AppError('AUTH_OIDC_EMAIL_UNVERIFIED');

      return db.transaction().execute(async (tx): Promise<OidcAccountResult> => {
        let outcome: OidcAccountResult['outcome'] = 'linked';
        let user = await tx.selectFrom('users').selectAll().where('email', '=', email.data).executeTakeFirst();
        if (!user) {
          // As at sign-up, the first account of an empty server administers it.
          const { count } = await tx
            .selectFrom('users')
            .select((eb) => eb.fn.countAll<string>().as('count'))
            .where('id', '!=', SYSTEM_USER_ID)
            .executeTakeFirstOrThrow();
          user = await tx
            .insertInto('users')
            // No password: this account signs in through its provider until someone sets one.
            .values({ id: crypto.randomUUID(), email: email.data, password_hash: UNUSABLE_PASSWORD_HASH, role: Number(count) === 0 && deps.firstAccountIsAdmin !== false ? 'admin' : 'member' })
            .onConflict((oc) => oc.column('email').doNothing())
            .returningAll()
            .executeTakeFirst();
          outcome = 'created';
          if (user) await createPersonalWorkspace(tx, user.id);
          // Created by a concurrent sign-up or sign-in a moment ago: link to that one.
          user ??= await tx.selectFrom('users').selectAll().where('email', '=', email.data).executeTakeFirstOrThrow();
        }
        // Tally's reserved owner of its own usage is nobody's account, whatever a provider says.
        if (user.id === SYSTEM_USER_ID) throw new AppError('AUTH_OIDC_FAILED');
        if (user.disabled_at) throw new AppError('AUTH_ACCOUNT_DISABLED');
        await tx
          .insertInto('oidc_identities')
          .values({ issuer: identity.issuer, subject: identity.subject, user_id: user.id, email: email.data })
          .onConflict((oc) => oc.columns(['issuer', 'subject']).doNothing())
          .execute();
        // Two first callbacks of one identity at once: the one linked first wins for both.
        const winner = await linkedUser(tx, identity);
        if (!winner) throw new AppError('INTERNAL', 'The identity could not be linked.');
        if (winner.disabled_at) throw new AppError('AUTH_ACCOUNT_DISABLED');
        return { user: winner, outcome: winner.id === user.id ? outcome : 'returning' };
      });
    },
  };
}
