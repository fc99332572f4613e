import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema, type RunEvent } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun } from '../support/run-assertions.js';
import { createTeamWorkspace, joinWorkspace } from '../support/team-workspace.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/**
 * Issue 17's concurrency proof: 5 team workspaces x 4 members (owner, admin, two members), each
 * workspace with usage of its own (its projects carry its mark, its size differs), and all 20 ask
 * at once. Every member sees their complete, ordered run over exactly their workspace's data (the
 * report counts that workspace's calls and names its projects only); no frame on any socket carries
 * another workspace's run, thread, question or figures; and what is stored (usage, threads, runs,
 * messages) is each workspace's own. On both engines.
 */

/** Questions whose runs analyse the data (each ends in a report), of different intents so different agents run at once. */
const QUESTIONS = [
  'Where is my AI money going?',
  'How much would prompt caching save us?',
  'Is there a cheaper model we could switch to for the same quality?',
  'Could we use the batch API for some of our traffic?',
  'How much do errors, retries and timeouts cost us?',
  'Break down our cost by project and feature.',
  'What should we do first to cut our LLM bill?',
  'Which model costs us the most?',
];

const WORKSPACES = 5;
const ROLES = ['owner', 'admin', 'member', 'member'] as const;

/** The mark of workspace w's projects and questions: letters no id (hex) or other mark contains. */
const mark = (w: number) => `w${w}z`;

/** Workspace w's usage: the product's generator, its projects renamed with the workspace's mark, a size of its own. */
function usageOf(w: number): { ndjson: string; records: number } {
  const lines = usageNdjson({ seed: 300 + w, days: 3, requestsPerDay: 20 + 7 * w }).trim().split('\n');
  const marked = lines.map((line) => {
    const record = JSON.parse(line) as { project: string };
    return JSON.stringify({ ...record, project: `${record.project}-${mark(w)}` });
  });
  return { ndjson: marked.join('\n') + '\n', records: marked.length };
}

interface Member {
  token: string;
  userId: string;
  workspace: number;
  /** In the member's question: no other socket may see it. */
  tag: string;
  question: string;
  socket: TestSocket;
}

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`${WORKSPACES} workspaces x ${ROLES.length} users asking at once on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startTestApp({ engine, env: { TALLY_MESSAGES_PER_MINUTE: '1000', TALLY_MAX_ACTIVE_RUNS: '100' } });
    });
    afterAll(async () => server?.close());

    it('each member sees only their complete, ordered run over their workspace\'s data, and each workspace stores only its own', async () => {
      const as = <T = Record<string, unknown>>(token: string, method: string, path: string, json?: unknown) =>
        rest<T>(server.baseUrl, method, path, { token, ...(json === undefined ? {} : { json }) });

      // Five teams, each made by its owner, joined by invitation, with its own usage uploaded.
      const teams = await Promise.all(
        Array.from({ length: WORKSPACES }, async (_, w) => {
          const people = [];
          for (const [u] of ROLES.entries()) people.push(await signUp(server.baseUrl, `conc-${mark(w)}-${u}`));
          const [owner, ...others] = people;
          const workspaceId = await createTeamWorkspace(server.baseUrl, owner!, `Team ${mark(w)}`);
          for (const [i, person] of others.entries()) await joinWorkspace(server.baseUrl, owner!, workspaceId, person, ROLES[i + 1] as Exclude<(typeof ROLES)[number], 'owner'>);
          const usage = usageOf(w);
          const upload = await rest<{ inserted: number; rejected: number }>(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/usage`, { token: people[1]!.token, body: usage.ndjson });
          expect(upload.status).toBe(200);
          expect(upload.body).toMatchObject({ inserted: usage.records, rejected: 0 });
          return { workspaceId, people, records: usage.records };
        }),
      );
      expect(new Set(teams.map((t) => t.records)).size).toBe(WORKSPACES);

      const members: Member[] = await Promise.all(
        teams.flatMap((team, w) =>
          team.people.map(async (person, u) => ({
            token: person.token,
            userId: person.userId,
            workspace: w,
            tag: `(asker ${mark(w)}u${u})`,
            question: `${QUESTIONS[(w * ROLES.length + u) % QUESTIONS.length]} (asker ${mark(w)}u${u})`,
            socket: await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, person.token), workspaceId: person.userId }),
          })),
        ),
      );

      // All twenty at once.
      const runs = await Promise.all(
        members.map(async (member) => {
          const ack = await member.socket.command('send_message', { workspaceId: teams[member.workspace]!.workspaceId, text: member.question });
          expect(ack['type'], JSON.stringify(ack)).toBe('ack');
          const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
          const terminal = await member.socket.waitForTerminal(runId, 90_000);
          return { member, runId, threadId, terminal };
        }),
      );
      expect(new Set(runs.map((r) => r.runId)).size).toBe(members.length);
      expect(new Set(runs.map((r) => r.threadId)).size).toBe(members.length);

      const foreignMarks = (w: number) => teams.map((_, o) => mark(o)).filter((_, o) => o !== w);
      for (const { member, runId, threadId, terminal } of runs) {
        const team = teams[member.workspace]!;
        const events = member.socket.eventsOf(runId);
        expectCompleteRun(events, { runId, threadId });
        expect((events[0] as Extract<RunEvent, { type: 'run_queued' }>).data.text).toBe(member.question);

        // Over exactly its workspace's data: every call of it counted, its projects only.
        if (terminal.type !== 'run_completed') throw new Error(`run of ${member.question} ended with ${terminal.type}`);
        const report = ReportSchema.parse(terminal.data.report);
        expect(report.totals.requests, member.question).toBe(team.records);
        expect(report.breakdowns.byProject.length).toBeGreaterThan(0);

        // No frame of another run, thread or workspace reached this socket: ids, questions, figures.
        for (const frame of member.socket.frames) {
          if ('runId' in frame) expect(frame['runId']).toBe(runId);
          if ('threadId' in frame) expect(frame['threadId']).toBe(threadId);
          const text = JSON.stringify(frame);
          for (const other of foreignMarks(member.workspace)) expect(text, `a frame of ${member.question}`).not.toContain(other);
          for (const other of teams) if (other !== team) expect(text).not.toContain(other.workspaceId);
          for (const other of members) if (other !== member) expect(text).not.toContain(other.tag);
        }
        expect(JSON.stringify(report.breakdowns.byProject)).toContain(mark(member.workspace));

        // Over REST: the member's thread in the workspace is theirs alone (nothing was shared), with its two messages.
        const threads = await as<{ threads: Array<{ id: string; workspaceId: string; mine: boolean }> }>(member.token, 'GET', `/v1/workspaces/${team.workspaceId}/threads`);
        expect(threads.body.threads.map((t) => [t.id, t.workspaceId, t.mine])).toEqual([[threadId, team.workspaceId, true]]);
        const messages = await as<{ messages: Array<{ role: string; content: string }> }>(member.token, 'GET', `/v1/workspaces/${team.workspaceId}/threads/${threadId}/messages`);
        expect(messages.body.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
        expect(messages.body.messages[0]!.content).toBe(member.question);
        member.socket.close();
      }

      // Stored, straight from the database: each workspace's usage, threads, runs and messages are exactly its own.
      const db = server.app.services.db;
      const usage = await db.selectFrom('usage_records').select(['owner_id', 'project']).select((eb) => eb.fn.countAll<string>().as('n')).groupBy(['owner_id', 'project']).execute();
      for (const [w, team] of teams.entries()) {
        const own = usage.filter((r) => r.owner_id === team.workspaceId);
        expect(own.reduce((sum, r) => sum + Number(r.n), 0)).toBe(team.records);
        for (const row of own) expect(row.project.endsWith(`-${mark(w)}`), row.project).toBe(true);
        const overview = await as<{ records: number }>(team.people[3]!.token, 'GET', `/v1/workspaces/${team.workspaceId}/usage/overview`);
        expect(overview.body.records).toBe(team.records);
      }
      // Nobody's personal workspace got anything.
      expect(usage.filter((r) => !teams.some((t) => t.workspaceId === r.owner_id))).toEqual([]);

      const storedRuns = await db.selectFrom('runs').select(['id', 'owner_id', 'workspace_id', 'thread_id']).execute();
      const storedThreads = await db.selectFrom('threads').select(['id', 'owner_id', 'workspace_id', 'shared_at']).execute();
      const storedMessages = await db.selectFrom('messages').select(['owner_id', 'thread_id', 'role', 'content']).execute();
      expect(storedRuns).toHaveLength(runs.length);
      for (const { member, runId, threadId } of runs) {
        const workspaceId = teams[member.workspace]!.workspaceId;
        expect(storedRuns.find((r) => r.id === runId)).toEqual({ id: runId, owner_id: member.userId, workspace_id: workspaceId, thread_id: threadId });
        expect(storedThreads.filter((t) => t.owner_id === member.userId)).toEqual([{ id: threadId, owner_id: member.userId, workspace_id: workspaceId, shared_at: null }]);
        const own = storedMessages.filter((m) => m.owner_id === member.userId);
        expect(own.map((m) => m.thread_id)).toEqual([threadId, threadId]);
        expect(own.find((m) => m.role === 'user')?.content).toBe(member.question);
      }
    }, 240_000);
  });
}
