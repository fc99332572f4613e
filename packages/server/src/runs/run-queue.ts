import { ATTR_DB_COLLECTION_NAME, ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import { sql } from 'kysely';
import type { Db } from '../store/database.js';
import type { RunRow } from '../store/schema.js';
import { inSpan } from '../telemetry/spans.js';
import { leaseExpiry } from './run-leases.js';

/**
 * A claimed run with what it needs to start, read by the claim itself: its message, its owner's
 * email, and whether the owner asked earlier in the thread (else its agents skip the history read).
 */
export type ClaimedRun = RunRow & { email: string | null; content: string | null; has_history: boolean };

/**
 * Claims up to `limit` queued runs for `nodeId`, oldest first (FOR UPDATE SKIP LOCKED, so nodes
 * never take the same one, and never two runs of one thread at once: only a thread's oldest
 * queued run, with none of its runs going, qualifies), and reads what each needs to start (its
 * message, its owner's email) in the same statement: every statement costs the node a write
 * system call and a parse, and under load a claim waits its turn for a connection, so one
 * claim per run made the claim loop the limit on how fast runs start (issue 19).
 */
export async function claimNextRuns(db: Db, nodeId: string, leaseMs: number, limit: number): Promise<ClaimedRun[]> {
  return createRunClaimer(db, nodeId, leaseMs)(limit);
}

/**
 * A node's claims (see claimNextRuns), the statement built once per limit and then only sent:
 * its values (the node, the lease, the limit) are the same at every claim, and building and
 * compiling it was the larger part of a claim's time in the node's CPU profile (issue 19,
 * docs/DECISIONS.md). Its text is fixed, so it runs prepared. A statement compiled once gets its
 * trace span from the query-span plugin only once, so each claim has a span of its own here.
 */
export function createRunClaimer(db: Db, nodeId: string, leaseMs: number): (limit: number) => Promise<ClaimedRun[]> {
  const compiled = new Map<number, ClaimQuery>();
  return (limit) =>
    inSpan(CLAIM_SPAN, CLAIM_SPAN_ATTRIBUTES, async () => {
      let query = compiled.get(limit);
      if (!query) compiled.set(limit, (query = claimQuery(db, nodeId, leaseMs, limit).compile()));
      return claimedRuns((await db.executeQuery(query)).rows);
    });
}

const CLAIM_SPAN = 'UPDATE runs (claim)';
const CLAIM_SPAN_ATTRIBUTES = { [ATTR_DB_SYSTEM_NAME]: 'postgresql', [ATTR_DB_OPERATION_NAME]: 'UPDATE', [ATTR_DB_COLLECTION_NAME]: 'runs' };

type ClaimQuery = ReturnType<ReturnType<typeof claimQuery>['compile']>;

function claimQuery(db: Db, nodeId: string, leaseMs: number, limit: number) {
  return (
    db
      // Picked in a CTE of its own: PostgreSQL runs a locking CTE once, so the LIMIT holds (as an
      // IN subquery of the update, the planner may run the pick again and take more).
      .with('picked', (q) =>
        q
          .selectFrom('runs as r')
          .select('r.id')
          .where('r.status', '=', 'queued')
          // One run per thread at a time, in the order they were queued. Two queued at the same
          // instant (the embedded engine's clock counts milliseconds, and a node stamps a run with
          // its own clock) go by id, so one of them always waits for the other.
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('runs as o')
                  .select('o.id')
                  .whereRef('o.thread_id', '=', 'r.thread_id')
                  .where((o) =>
                    o.or([
                      o('o.status', '=', 'running'),
                      o.and([
                        o('o.status', '=', 'queued'),
                        o.or([o('o.created_at', '<', o.ref('r.created_at')), o.and([o('o.created_at', '=', o.ref('r.created_at')), o('o.id', '<', o.ref('r.id'))])]),
                      ]),
                    ]),
                  ),
              ),
            ),
          )
          .orderBy('r.created_at')
          .orderBy('r.id')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .with('claimed', (q) =>
        q
          .updateTable('runs')
          .set({ status: 'running', lease_owner: nodeId, lease_expires_at: leaseExpiry(leaseMs), started_at: sql`coalesce(started_at, now())` })
          .where('id', 'in', (eb) => eb.selectFrom('picked').select('picked.id'))
          .where('status', '=', 'queued')
          .returningAll(),
      )
      .selectFrom('claimed')
      // Left joins: a run is never claimed without being returned (and then started or failed).
      .leftJoin('messages', 'messages.id', 'claimed.message_id')
      .leftJoin('users', 'users.id', 'claimed.owner_id')
      .selectAll('claimed')
      .select(['users.email', 'messages.content'])
      // An earlier question as agents/thread-history.ts reads them: the owner's, in the thread, at
      // or before this run's message, not this run's. Unknown (no message) counts as having some.
      .select(({ exists, selectFrom, or, eb }) =>
        or([
          eb('messages.id', 'is', null),
          exists(
            selectFrom('messages as earlier')
              .select('earlier.id')
              .whereRef('earlier.thread_id', '=', 'claimed.thread_id')
              .whereRef('earlier.owner_id', '=', 'claimed.owner_id')
              .where('earlier.role', '=', 'user')
              .whereRef('earlier.id', '!=', 'claimed.message_id')
              .whereRef('earlier.created_at', '<=', 'messages.created_at'),
          ),
        ]).as('has_history'),
      )
  );
}

/** The claimed runs as a worker starts them: UPDATE ... RETURNING keeps no order, the oldest starts first. */
function claimedRuns(rows: Array<Omit<ClaimedRun, 'has_history'> & { has_history: unknown }>): ClaimedRun[] {
  return rows.map((row) => ({ ...row, has_history: Boolean(row.has_history) })).sort((a, b) => a.created_at.getTime() - b.created_at.getTime());
}

/** Claims the next queued run (see claimNextRuns), or nothing when none is ready. */
export async function claimNextRun(db: Db, nodeId: string, leaseMs: number): Promise<ClaimedRun | undefined> {
  return (await claimNextRuns(db, nodeId, leaseMs, 1))[0];
}

/** Puts runs whose node stopped heart-beating back in the queue; their ids. */
export async function requeueExpiredRuns(db: Db): Promise<string[]> {
  const rows = await db
    .updateTable('runs')
    .set({ status: 'queued', lease_owner: null, lease_expires_at: null })
    .where('status', '=', 'running')
    .where('lease_expires_at', '<', sql<Date>`now()`)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Puts a run this node holds back in the queue (a graceful shutdown); whether it still held it. */
export async function handBackRun(db: Db, runId: string, nodeId: string): Promise<boolean> {
  const row = await db
    .updateTable('runs')
    .set({ status: 'queued', lease_owner: null, lease_expires_at: null })
    .where('id', '=', runId)
    .where('lease_owner', '=', nodeId)
    .where('status', '=', 'running')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
