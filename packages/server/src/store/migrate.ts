import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Db } from './database.js';
import { isOtherSchemaDropped } from './postgres-errors.js';
import * as initial from './migrations/0001-initial.js';
import * as priceOverrides from './migrations/0002-price-overrides.js';
import * as runCheckpoints from './migrations/0003-run-checkpoints.js';
import * as apiKeysAndAudit from './migrations/0004-api-keys-and-audit.js';
import * as authSessions from './migrations/0005-auth-sessions.js';
import * as oidcIdentities from './migrations/0006-oidc-identities.js';
import * as threadDeletionAndProfile from './migrations/0007-thread-deletion-and-profile.js';
import * as usageRollups from './migrations/0008-usage-rollups.js';
import * as repricing from './migrations/0011-repricing.js';
import * as cacheWriteDurations from './migrations/0010-cache-write-durations.js';
import * as runTraceparent from './migrations/0012-run-traceparent.js';
import * as workspaces from './migrations/0013-workspaces.js';
import * as answerFeedback from './migrations/0014-answer-feedback.js';
import * as workspaceData from './migrations/0015-workspace-data.js';
import * as providerBilling from './migrations/0016-provider-billing.js';
import * as queueRunFunction from './migrations/0017-queue-run.js';
import * as usageVersions from './migrations/0018-usage-versions.js';
import * as runWriteCosts from './migrations/0019-run-write-costs.js';

/** Migrations live in code (not read from disk), so they ship inside any bundle unchanged. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-price-overrides': priceOverrides,
  '0003-run-checkpoints': runCheckpoints,
  '0004-api-keys-and-audit': apiKeysAndAudit,
  '0005-auth-sessions': authSessions,
  '0006-oidc-identities': oidcIdentities,
  '0007-thread-deletion-and-profile': threadDeletionAndProfile,
  '0008-usage-rollups': usageRollups,
  '0011-repricing': repricing,
  '0010-cache-write-durations': cacheWriteDurations,
  '0012-run-traceparent': runTraceparent,
  '0013-workspaces': workspaces,
  '0014-answer-feedback': answerFeedback,
  '0015-workspace-data': workspaceData,
  '0016-provider-billing': providerBilling,
  '0017-queue-run': queueRunFunction,
  '0018-usage-versions': usageVersions,
  '0019-run-write-costs': runWriteCosts,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Every schema version in order, oldest first (the upgrade test walks them all). */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS).sort();

/** Tries of a migration whose read of the catalog lost a race with another client's DROP SCHEMA. */
const MIGRATE_ATTEMPTS = 3;

/**
 * Runs `step` with a migrator of `schema`; throws with the failing migration's name. With a
 * Postgres schema, the migrator's own tables live in it too: without that, Kysely looks its lock
 * table up by name across every schema and trips over another schema's. It still reads every
 * schema's tables, so a schema another client drops meanwhile fails the read: then it reads again.
 */
async function migrate(db: Db, schema: string | undefined, step: (migrator: Migrator) => Promise<MigrationResultSet>): Promise<string[]> {
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  let outcome = await step(migrator);
  for (let attempt = 1; attempt < MIGRATE_ATTEMPTS && isOtherSchemaDropped(outcome.error, schema); attempt++) outcome = await step(migrator);
  const { error, results } = outcome;
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${error instanceof Error ? error.message : String(error)}`);
  return (results ?? []).map((r) => r.migrationName);
}

/** Brings the schema to exactly `name` (up or down); for the upgrade test and operators' rollbacks. */
export async function migrateTo(db: Db, name: string, schema?: string): Promise<void> {
  await migrate(db, schema, (migrator) => migrator.migrateTo(name));
}

/** Brings the schema to the latest version; the migrations run, by name. */
export async function migrateToLatest(db: Db, schema?: string): Promise<string[]> {
  return migrate(db, schema, (migrator) => migrator.migrateToLatest());
}
