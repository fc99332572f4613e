import { CredentialsSchema, type UserRole } from '@tally/protocol';
import { createAuditLog } from '../audit/audit-log.js';
import { createAccounts } from '../auth/accounts.js';
import { createPasswordPolicy } from '../auth/password-policy.js';
import type { Config } from '../config/config.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';

export interface UserCreateAction {
  kind: 'create';
  email: string;
  password: string;
  role: UserRole;
}

/**
 * `tally user create --email E --password P [--admin]`: creates an account directly in the
 * configured database (TALLY_DATABASE_URL / TALLY_DATA_DIR), e.g. the first admin of a server
 * whose sign-up is open to others. The password policy applies as at sign-up; the creation is
 * audited, with no actor.
 */
export async function userCommand(config: Config, action: UserCreateAction, out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  const parsed = CredentialsSchema.safeParse({ email: action.email, password: action.password });
  if (!parsed.success) throw new Error(`invalid ${parsed.error.issues[0]?.path.join('.') ?? 'input'}: ${parsed.error.issues[0]?.message ?? 'not valid'}`);
  const { db } = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema, holder: 'tally user create' });
  try {
    await migrateToLatest(db, config.databaseSchema);
    const user = await createAccounts({ db, passwords: createPasswordPolicy() }).create({ ...parsed.data, role: action.role });
    await createAuditLog({ db }).record({ action: 'user.created', actorId: null, target: `user:${user.id}`, details: { email: user.email, role: user.role, via: 'cli' } });
    out(`Created ${user.role} ${user.email} (${user.id}).`);
    return 0;
  } finally {
    await db.destroy();
  }
}
