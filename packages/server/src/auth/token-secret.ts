import crypto from 'node:crypto';
import type { Db } from '../store/database.js';

/**
 * The access-token signing secret: from configuration, or generated once and kept in the
 * database so every node of a deployment, and every restart, signs with the same one.
 */
export async function resolveTokenSecret(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const generated = crypto.randomBytes(48).toString('base64url');
  await db
    .insertInto('server_settings')
    .values({ key: 'jwt_secret', value: generated })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db.selectFrom('server_settings').select('value').where('key', '=', 'jwt_secret').executeTakeFirstOrThrow();
  return row.value;
}
