import { sql, type Kysely } from 'kysely';

/**
 * Queuing a run in one round trip (runs/run-start-statement.ts). It was a statement for the
 * asker's workspace role and a transaction of four or six (BEGIN, the owner's lock, the thread's,
 * the inserts, COMMIT), and on the
 * event-delivery load every statement cost the node a write system call and PostgreSQL a wake-up
 * on the same two cores (issue 19). The function does the same steps, in the same order, with
 * the same locks, in the caller's one statement. Each statement in it takes a new snapshot
 * (READ COMMITTED, a volatile function), so the count of the owner's runs taken after the owner's
 * lock sees every run another message queued before it: the cap holds across nodes as before.
 *
 * The outcome is a word and what goes with it; the caller turns refusals into its typed errors.
 * Created in the schema first on the search path, as the tables are, and it reads its tables
 * through the caller's search path, so a node on TALLY_DATABASE_SCHEMA finds its own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION queue_run(
      p_owner uuid, p_workspace uuid, p_roles text[], p_command text,
      p_thread uuid, p_new_thread uuid, p_title text, p_on_busy text, p_cap integer,
      p_run uuid, p_message uuid, p_text text, p_at timestamptz, p_traceparent text,
      p_event_seq integer, p_event_type text, p_event_data jsonb, p_event_ts timestamptz
    ) RETURNS TABLE (outcome text, run_id uuid, thread_id uuid, message_id uuid, title text, shared boolean, busy uuid[])
    LANGUAGE plpgsql VOLATILE AS $fn$
    DECLARE
      v_disabled timestamptz;
      v_role text;
      v_resent record;
      v_active integer;
      v_busy uuid[];
      v_title text := p_title;
      v_shared boolean := false;
    BEGIN
      -- The account as it is now, whatever credential sent the message; its row is the lock that
      -- makes the cap hold when messages race on several nodes.
      SELECT u.disabled_at INTO v_disabled FROM users u WHERE u.id = p_owner FOR UPDATE;
      IF NOT FOUND THEN
        RETURN QUERY SELECT 'disabled'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::text, NULL::boolean, NULL::uuid[];
        RETURN;
      END IF;
      -- Membership read now, under the owner's lock: a member removed a moment ago asks nothing.
      SELECT m.role INTO v_role FROM workspace_members m WHERE m.workspace_id = p_workspace AND m.user_id = p_owner;
      IF v_role IS NULL THEN
        RETURN QUERY SELECT 'not_member'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::text, NULL::boolean, NULL::uuid[];
        RETURN;
      END IF;
      IF NOT v_role = ANY (p_roles) THEN
        RETURN QUERY SELECT 'forbidden'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::text, NULL::boolean, NULL::uuid[];
        RETURN;
      END IF;
      -- A command sent again: the run it queued the first time.
      IF p_command IS NOT NULL THEN
        SELECT r.id, r.thread_id, r.message_id INTO v_resent FROM runs r WHERE r.owner_id = p_owner AND r.client_command_id = p_command;
        IF FOUND THEN
          RETURN QUERY SELECT 'resent'::text, v_resent.id, v_resent.thread_id, v_resent.message_id, NULL::text, NULL::boolean, NULL::uuid[];
          RETURN;
        END IF;
      END IF;
      IF v_disabled IS NOT NULL THEN
        RETURN QUERY SELECT 'disabled'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::text, NULL::boolean, NULL::uuid[];
        RETURN;
      END IF;
      -- The owner's runs going (after the lock: none can start before this call ends), for the cap
      -- and for the thread's own, oldest first.
      SELECT count(*)::integer, coalesce(array_agg(r.id ORDER BY r.created_at) FILTER (WHERE r.thread_id = p_thread), '{}')
        INTO v_active, v_busy
        FROM runs r WHERE r.owner_id = p_owner AND r.status IN ('queued', 'running');
      IF p_cap IS NOT NULL AND v_active >= p_cap THEN
        RETURN QUERY SELECT 'limit'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::text, NULL::boolean, NULL::uuid[];
        RETURN;
      END IF;
      IF p_thread IS NOT NULL THEN
        -- Only the author asks in a thread, only in its workspace, never in one being deleted; the
        -- row's lock decides two messages racing into one thread one by one.
        SELECT t.title, t.shared_at IS NOT NULL INTO v_title, v_shared
          FROM threads t
          WHERE t.id = p_thread AND t.owner_id = p_owner AND t.workspace_id = p_workspace AND t.deleted_at IS NULL
          FOR UPDATE;
        IF NOT FOUND THEN
          RETURN QUERY SELECT 'thread_not_found'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::text, NULL::boolean, NULL::uuid[];
          RETURN;
        END IF;
        IF cardinality(v_busy) > 0 AND p_on_busy = 'reject' THEN
          RETURN QUERY SELECT 'busy'::text, NULL::uuid, NULL::uuid, NULL::uuid, NULL::text, NULL::boolean, v_busy;
          RETURN;
        END IF;
      END IF;
      -- The thread (touched, or created with its title), the message, the run and its first event
      -- in one statement: the foreign keys to the new thread and run are checked at its end.
      WITH thread AS (
        INSERT INTO threads (id, owner_id, workspace_id, title, created_at, updated_at)
        SELECT p_new_thread, p_owner, p_workspace, p_title, p_at, p_at WHERE p_thread IS NULL
        RETURNING id
      ), touched AS (
        UPDATE threads SET updated_at = p_at WHERE id = p_thread RETURNING id
      ), message AS (
        INSERT INTO messages (id, owner_id, thread_id, role, content, run_id, created_at)
        VALUES (p_message, p_owner, coalesce(p_thread, p_new_thread), 'user', p_text, p_run, p_at)
        RETURNING id
      ), queued AS (
        INSERT INTO run_events (run_id, seq, type, data, ts) VALUES (p_run, p_event_seq, p_event_type, p_event_data, p_event_ts)
        RETURNING seq
      )
      INSERT INTO runs (id, owner_id, workspace_id, thread_id, message_id, client_command_id, status, created_at, traceparent, last_seq)
      VALUES (p_run, p_owner, p_workspace, coalesce(p_thread, p_new_thread), p_message, p_command, 'queued', p_at, p_traceparent, p_event_seq);
      RETURN QUERY SELECT 'queued'::text, p_run, coalesce(p_thread, p_new_thread), p_message, v_title, v_shared, v_busy;
    END
    $fn$
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION queue_run(uuid, uuid, text[], text, uuid, uuid, text, text, integer, uuid, uuid, text, timestamptz, text, integer, text, jsonb, timestamptz)`.execute(db);
}
