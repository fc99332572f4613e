import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun } from '../support/run-assertions.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/** Questions of every kind triage knows, so the users exercise different agents at once. */
const QUESTIONS = [
  'Where is my AI money going?',
  'How much would prompt caching save us?',
  'Is there a cheaper model we could switch to for the same quality?',
  'Could we use the batch API for some of our traffic?',
  'How much do errors, retries and timeouts cost us?',
  'Why is our latency so high?',
  'Break down our cost by project and feature.',
  'What should we do first to cut our LLM bill?',
  'Which model costs us the most?',
  'Hello, what can you do?',
];

const USERS = 20;

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`${USERS} concurrent users on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startTestApp({ engine });
    });
    afterAll(async () => server?.close());

    it('each sees only their own complete, ordered run, and stores only their own messages', async () => {
      // Half the users have data, half do not (data_helper answers those): different agent paths.
      const users = await Promise.all(
        Array.from({ length: USERS }, async (_, i) => {
          const user = await signUp(server.baseUrl, `conc${i}`);
          if (i % 2 === 0) {
            const upload = await rest(server.baseUrl, 'POST', '/v1/usage', { token: user.token, body: usageNdjson({ seed: 100 + i, days: 3, requestsPerDay: 30 }) });
            expect(upload.status).toBe(200);
          }
          const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token) });
          return { ...user, socket, question: `${QUESTIONS[i % QUESTIONS.length]} (user ${i})` };
        }),
      );

      const runs = await Promise.all(
        users.map(async (user) => {
          const ack = await user.socket.command('send_message', { text: user.question });
          expect(ack['type']).toBe('ack');
          const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
          await user.socket.waitForTerminal(runId, 60_000);
          return { user, runId, threadId };
        }),
      );

      const runIds = new Set(runs.map((r) => r.runId));
      const threadIds = new Set(runs.map((r) => r.threadId));
      expect(runIds.size).toBe(USERS);
      expect(threadIds.size).toBe(USERS);

      for (const { user, runId, threadId } of runs) {
        const events = user.socket.eventsOf(runId);
        expectCompleteRun(events, { runId, threadId });
        // No frame of another user's run, thread or text reached this socket.
        for (const frame of user.socket.frames) {
          if ('runId' in frame) expect(frame['runId']).toBe(runId);
          if ('threadId' in frame) expect(frame['threadId']).toBe(threadId);
          const text = JSON.stringify(frame);
          for (const other of users) if (other !== user) expect(text).not.toContain(`(user ${users.indexOf(other)})`);
        }
        const queued = events[0] as Extract<RunEvent, { type: 'run_queued' }>;
        expect(queued.data.text).toBe(user.question);

        const messages = await rest<{ messages: Array<{ role: string; content: string }> }>(server.baseUrl, 'GET', `/v1/threads/${threadId}/messages`, { token: user.token });
        expect(messages.body.messages).toHaveLength(2);
        expect(messages.body.messages[0]).toMatchObject({ role: 'user', content: user.question });
        const threads = await rest<{ threads: Array<{ id: string }> }>(server.baseUrl, 'GET', '/v1/threads', { token: user.token });
        expect(threads.body.threads.map((t) => t.id)).toEqual([threadId]);
        user.socket.close();
      }

      // Persisted messages, straight from the database: each user's are exactly their own.
      const rows = await server.app.services.db.selectFrom('messages').select(['owner_id', 'thread_id', 'role', 'content']).execute();
      for (const { user, threadId } of runs) {
        const own = rows.filter((r) => r.owner_id === user.userId);
        expect(own.map((r) => r.thread_id)).toEqual([threadId, threadId]);
        expect(own.find((r) => r.role === 'user')?.content).toBe(user.question);
      }
    }, 120_000);
  });
}

export type { TestSocket };
