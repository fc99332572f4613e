import { sql, type Kysely } from 'kysely';
import { SYSTEM_USER_EMAIL, SYSTEM_USER_ID, UNUSABLE_PASSWORD_HASH } from '../system-user.js';

/**
 * Admin prices (an override per model, optionally per provider; a negotiated discount per
 * provider), and the reserved system owner of Tally's own LLM usage.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('price_overrides')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    // Lower-cased and trimmed, as the catalog compares them; '' for "any provider".
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('input_per_mtok', 'double precision', (c) => c.notNull().check(sql`input_per_mtok >= 0`))
    .addColumn('output_per_mtok', 'double precision', (c) => c.notNull().check(sql`output_per_mtok >= 0`))
    .addColumn('cache_read_per_mtok', 'double precision', (c) => c.check(sql`cache_read_per_mtok >= 0`))
    .addColumn('cache_write_per_mtok', 'double precision', (c) => c.check(sql`cache_write_per_mtok >= 0`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('price_overrides_model_provider', ['model', 'provider'])
    .execute();

  await db.schema
    .createTable('price_discounts')
    .addColumn('provider', 'text', (c) => c.primaryKey())
    .addColumn('percent', 'double precision', (c) => c.notNull().check(sql`percent >= 0 and percent < 100`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await sql`insert into users (id, email, password_hash, role)
    values (${SYSTEM_USER_ID}, ${SYSTEM_USER_EMAIL}, ${UNUSABLE_PASSWORD_HASH}, 'member')
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from users where id = ${SYSTEM_USER_ID}`.execute(db);
  await db.schema.dropTable('price_discounts').ifExists().execute();
  await db.schema.dropTable('price_overrides').ifExists().execute();
}
