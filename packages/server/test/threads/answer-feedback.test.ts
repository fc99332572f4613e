import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, TallyApiError, type RestClient } from '@tally/client';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/**
 * Thumbs up/down with a note on an answer: stored per run for its owner only, replaced by a second
 * rating, refused for another user's run or thread (404, as if unknown) and for a run still going,
 * listed for admins with who gave it on which question; gone with its thread.
 */
const codeOf = async (call: Promise<unknown>) => {
  const error = await call.then(() => null, (e: unknown) => e);
  return error instanceof TallyApiError ? error.code : `no typed error: ${String(error)}`;
};

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`answer feedback on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let llm: FakeLlm;
    let admin: RestClient;
    let hang = false;

    beforeAll(async () => {
      llm = await startFakeLlm((request) => {
        if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
        return hang ? { stream: ['Working'], hang: true } : { stream: ['A short answer.'] };
      });
      server = await startTestApp({ engine, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k', TALLY_MESSAGES_PER_MINUTE: '1000' } });
      const first = await signUp(server.baseUrl, 'feedback-admin'); // the first account is the admin
      admin = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => first.token });
    });
    afterAll(async () => {
      await server?.close();
      await llm?.close();
    });

    async function user(label: string): Promise<{ client: RestClient; socket: TestSocket; token: string; email: string; workspaceId: string }> {
      const u = await signUp(server.baseUrl, label);
      const client = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => u.token });
      await client.uploadUsage(u.userId, usageNdjson({ seed: 5, days: 2, requestsPerDay: 10 }));
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, u.token), workspaceId: u.userId });
      return { client, socket, token: u.token, email: u.email, workspaceId: u.userId };
    }
    async function ask(socket: TestSocket, text: string, threadId?: string): Promise<{ threadId: string; runId: string }> {
      const ack = await socket.command('send_message', threadId ? { threadId, text } : { text });
      return ack['data'] as { runId: string; threadId: string };
    }

    it('rates the owner’s finished answers, replaces a rating, and shows them to admins only', async () => {
      hang = false;
      const alice = await user('fb-alice');
      const bob = await user('fb-bob');
      const first = await ask(alice.socket, 'Where is my AI money going?');
      await alice.socket.waitForTerminal(first.runId);
      const second = await ask(alice.socket, 'And by project?', first.threadId);
      await alice.socket.waitForTerminal(second.runId);

      const up = await alice.client.setAnswerFeedback(alice.workspaceId, first.runId, { rating: 'up', note: '  clear and right  ' });
      expect(up).toMatchObject({ runId: first.runId, rating: 'up', note: 'clear and right' });
      await alice.client.setAnswerFeedback(alice.workspaceId, second.runId, { rating: 'up', note: '   ' });
      const replaced = await alice.client.setAnswerFeedback(alice.workspaceId, second.runId, { rating: 'down', note: 'wrong project' });
      expect(replaced).toMatchObject({ rating: 'down', note: 'wrong project' });
      const mine = await alice.client.threadFeedback(alice.workspaceId, first.threadId);
      expect(mine.map((f) => [f.runId, f.rating, f.note]).sort()).toEqual(
        [[first.runId, 'up', 'clear and right'], [second.runId, 'down', 'wrong project']].sort(),
      );

      // Another user: Alice's run and thread are unknown to Bob, and his own list stays empty.
      expect(await codeOf(bob.client.setAnswerFeedback(bob.workspaceId, first.runId, { rating: 'down' }))).toBe('RUN_NOT_FOUND');
      expect(await codeOf(bob.client.deleteAnswerFeedback(bob.workspaceId, first.runId))).toBe('RUN_NOT_FOUND');
      expect(await codeOf(bob.client.threadFeedback(bob.workspaceId, first.threadId))).toBe('THREAD_NOT_FOUND');
      expect((await alice.client.threadFeedback(alice.workspaceId, first.threadId)).find((f) => f.runId === first.runId)?.rating).toBe('up');

      // Bad input is a typed error, never a crash.
      expect(await codeOf(alice.client.setAnswerFeedback(alice.workspaceId, first.runId, { rating: 'meh' as 'up' }))).toBe('VALIDATION_FAILED');
      expect(await codeOf(alice.client.setAnswerFeedback(alice.workspaceId, first.runId, { rating: 'up', note: 'x'.repeat(2001) }))).toBe('VALIDATION_FAILED');
      expect((await rest(server.baseUrl, 'PUT', `/v1/workspaces/${alice.workspaceId}/runs/not-a-uuid/feedback`, { token: alice.token, json: { rating: 'up' } })).status).toBe(404);

      // Admins see every rating with who gave it and on which question; members are refused.
      const all = await admin.admin.listFeedback({ limit: 500 });
      const down = all.find((f) => f.runId === second.runId);
      expect(down).toMatchObject({ rating: 'down', note: 'wrong project', userEmail: alice.email, threadId: first.threadId, question: 'And by project?' });
      expect((await admin.admin.listFeedback({ rating: 'up', limit: 500 })).some((f) => f.runId === second.runId)).toBe(false);
      expect(await codeOf(alice.client.admin.listFeedback())).toBe('AUTH_FORBIDDEN');

      await alice.client.deleteAnswerFeedback(alice.workspaceId, first.runId);
      expect((await alice.client.threadFeedback(alice.workspaceId, first.threadId)).map((f) => f.runId)).toEqual([second.runId]);
      // A deleted thread takes its ratings with it.
      await alice.client.deleteThread(alice.workspaceId, first.threadId);
      expect((await admin.admin.listFeedback({ limit: 500 })).some((f) => f.threadId === first.threadId)).toBe(false);
      alice.socket.close();
      bob.socket.close();
    });

    it('a run still going has no answer to rate yet: RUN_NOT_FINISHED', async () => {
      hang = true;
      const carol = await user('fb-carol');
      const going = await ask(carol.socket, 'Which calls could use a cheaper model?');
      expect(await codeOf(carol.client.setAnswerFeedback(carol.workspaceId, going.runId, { rating: 'up' }))).toBe('RUN_NOT_FINISHED');
      await carol.socket.command('stop_run', { runId: going.runId });
      await carol.socket.waitForTerminal(going.runId);
      hang = false;
      // A stopped run can be rated (a user may say why they stopped it).
      expect((await carol.client.setAnswerFeedback(carol.workspaceId, going.runId, { rating: 'down', note: 'too slow' })).rating).toBe('down');
      carol.socket.close();
    });
  });
}
