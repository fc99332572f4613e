import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRestClient, TallyApiError, type RestClient } from '@tally/client';
import { engineSetups } from '../support/engines.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { expectCompleteRun } from '../support/run-assertions.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/**
 * Thread rename, search and delete through the client and the real server: the owner's threads
 * only, a deleted thread gone everywhere (REST, send_message, its runs), and a delete while a run
 * is going stops the run cleanly: it ends cancelled, and nothing is logged as failing.
 */
const codeOf = async (call: Promise<unknown>) => {
  const error = await call.then(() => null, (e: unknown) => e);
  return error instanceof TallyApiError ? error.code : `no typed error: ${String(error)}`;
};

for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`thread management on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let llm: FakeLlm;
    let mode: 'fast' | 'hang' = 'fast';

    beforeAll(async () => {
      llm = await startFakeLlm((request) => {
        if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
        if (mode === 'hang') return { stream: ['Working', ' on it'], hang: true };
        return { stream: ['A short answer.'] };
      });
      server = await startTestApp({
        engine,
        env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k', TALLY_MESSAGES_PER_MINUTE: '1000' },
      });
    });
    afterAll(async () => {
      await server?.close();
      await llm?.close();
    });

    async function userWithSocket(label: string): Promise<{ client: RestClient; socket: TestSocket; token: string; workspaceId: string }> {
      const user = await signUp(server.baseUrl, label);
      const client = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => user.token });
      await client.uploadUsage(user.userId, usageNdjson({ seed: 7, days: 2, requestsPerDay: 20 }));
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
      return { client, socket, token: user.token, workspaceId: user.userId };
    }

    async function finishedThread(socket: TestSocket, text: string, threadId?: string): Promise<{ threadId: string; runId: string }> {
      const ack = await socket.command('send_message', threadId ? { threadId, text } : { text });
      const started = ack['data'] as { runId: string; threadId: string };
      await socket.waitForTerminal(started.runId);
      return started;
    }

    it('renames, searches title and messages (wildcards literal), deletes; a deleted thread is gone everywhere', async () => {
      mode = 'fast';
      const { client, socket, workspaceId } = await userWithSocket('threads');
      const budget = await finishedThread(socket, 'Where is my AI money going?');
      const caching = await finishedThread(socket, 'Would prompt caching help the support bot?');
      await finishedThread(socket, 'A follow-up about the zq--ux feature', caching.threadId);

      expect((await client.listThreads(workspaceId)).map((t) => t.id).sort()).toEqual([budget.threadId, caching.threadId].sort());
      const renamed = await client.renameThread(workspaceId, budget.threadId, '  Budget review  ');
      expect(renamed).toMatchObject({ id: budget.threadId, title: 'Budget review' });
      expect((await client.listThreads(workspaceId)).find((t) => t.id === budget.threadId)?.title).toBe('Budget review');

      expect((await client.listThreads(workspaceId, { q: 'BUDGET' })).map((t) => t.id)).toEqual([budget.threadId]);
      expect((await client.listThreads(workspaceId, { q: 'zq--UX' })).map((t) => t.id)).toEqual([caching.threadId]);
      // A hit in a message names that message with a snippet around the text; a title-only hit has none.
      const followUp = (await client.listMessages(workspaceId, caching.threadId)).find((m) => m.content.includes('zq--ux'))!;
      expect((await client.listThreads(workspaceId, { q: 'ZQ--ux' }))[0]?.match).toEqual({ messageId: followUp.id, role: 'user', snippet: 'A follow-up about the zq--ux feature' });
      expect((await client.listThreads(workspaceId, { q: 'BUDGET' }))[0]?.match).toBeUndefined();
      expect((await client.listThreads(workspaceId))[0]?.match).toBeUndefined();
      // The assistant's answer is searched too.
      const answer = (await client.listMessages(workspaceId, budget.threadId)).find((m) => m.role === 'assistant')!.content;
      expect((await client.listThreads(workspaceId, { q: answer.slice(0, 24).toUpperCase() })).map((t) => t.id)).toContain(budget.threadId);
      // A long message is cut around the match, marked with … on the cut sides.
      const long = await finishedThread(socket, `${'lead words '.repeat(30)}the needle-qx7 here ${'tail words '.repeat(30)}`);
      const hit = (await client.listThreads(workspaceId, { q: 'needle-QX7' })).find((t) => t.id === long.threadId)?.match;
      expect(hit?.snippet).toMatch(/^….*the needle-qx7 here.*…$/);
      expect(hit!.snippet.length).toBeLessThan(240);
      await client.deleteThread(workspaceId, long.threadId);
      // `%` and `_` are plain characters: unescaped, both would match "zq--ux".
      expect(await client.listThreads(workspaceId, { q: 'zq%ux' })).toEqual([]);
      expect(await client.listThreads(workspaceId, { q: 'zq__ux' })).toEqual([]);
      expect(await client.listThreads(workspaceId, { q: 'nothing like this anywhere' })).toEqual([]);

      expect(await codeOf(client.listThreads(workspaceId, { q: 'x'.repeat(201) }))).toBe('VALIDATION_FAILED');
      expect(await codeOf(client.renameThread(workspaceId, budget.threadId, '   '))).toBe('VALIDATION_FAILED');
      expect(await codeOf(client.renameThread(workspaceId, budget.threadId, 'x'.repeat(201)))).toBe('VALIDATION_FAILED');
      expect(await codeOf(client.renameThread(workspaceId, 'not-a-uuid', 'x'))).toBe('THREAD_NOT_FOUND');

      await client.deleteThread(workspaceId, caching.threadId);
      expect((await client.listThreads(workspaceId)).map((t) => t.id)).toEqual([budget.threadId]);
      expect(await client.listThreads(workspaceId, { q: 'zq--ux' })).toEqual([]);
      expect(await codeOf(client.listMessages(workspaceId, caching.threadId))).toBe('THREAD_NOT_FOUND');
      expect(await codeOf(client.getRun(workspaceId, caching.runId))).toBe('RUN_NOT_FOUND');
      expect(await codeOf(client.renameThread(workspaceId, caching.threadId, 'again'))).toBe('THREAD_NOT_FOUND');
      expect(await codeOf(client.deleteThread(workspaceId, caching.threadId))).toBe('THREAD_NOT_FOUND');
      expect(await socket.command('send_message', { threadId: caching.threadId, text: 'still there?' })).toMatchObject({ type: 'error', code: 'THREAD_NOT_FOUND' });
      expect(await socket.command('watch_thread', { threadId: caching.threadId })).toMatchObject({ type: 'error', code: 'THREAD_NOT_FOUND' });
      // The other thread is untouched.
      expect(await client.listMessages(workspaceId, budget.threadId)).toHaveLength(2);
      socket.close();
    });

    it("another user's thread cannot be renamed, deleted or found by search", async () => {
      mode = 'fast';
      const a = await userWithSocket('thread-owner');
      const b = await userWithSocket('thread-intruder');
      const word = `plantedword${Date.now()}`;
      const planted = await finishedThread(a.socket, `Costs of the ${word} project`);
      await finishedThread(b.socket, 'My own question');

      expect(await codeOf(b.client.renameThread(b.workspaceId, planted.threadId, 'mine now'))).toBe('THREAD_NOT_FOUND');
      expect(await codeOf(b.client.deleteThread(b.workspaceId, planted.threadId))).toBe('THREAD_NOT_FOUND');
      expect(await b.client.listThreads(b.workspaceId, { q: word })).toEqual([]);
      expect(await b.client.listThreads(b.workspaceId, { q: 'Costs of the' })).toEqual([]);
      const res = await rest(server.baseUrl, 'DELETE', `/v1/workspaces/${b.workspaceId}/threads/${planted.threadId}`, { token: b.token });
      expect(res).toEqual({ status: 404, body: { error: { code: 'THREAD_NOT_FOUND', message: expect.any(String) } } });

      const mine = await a.client.listThreads(a.workspaceId, { q: word });
      expect(mine.map((t) => t.id)).toEqual([planted.threadId]);
      // Titled by its topic and the project it names (agents/thread-title.ts), not its first words.
      expect(mine[0]!.title).toBe(`Spend overview: project ${word}`);
      expect(await a.client.listMessages(a.workspaceId, planted.threadId)).toHaveLength(2);
      a.socket.close();
      b.socket.close();
    });

    it('deleting a thread while its run is going stops the run (and the one queued behind it) cleanly', async () => {
      const logger = server.app.services.logger;
      const errors = vi.spyOn(logger, 'error');
      const warnings = vi.spyOn(logger, 'warn');
      try {
        mode = 'hang';
        const { client, socket, workspaceId } = await userWithSocket('delete-running');
        const ack = await socket.command('send_message', { text: 'Where is my AI money going?' });
        const { runId, threadId } = ack['data'] as { runId: string; threadId: string };
        await socket.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta');
        const queuedAck = await socket.command('send_message', { threadId, text: 'And after that?', onBusy: 'queue' });
        const queuedRunId = (queuedAck['data'] as { runId: string }).runId;
        expect(await socket.command('subscribe', { runId: queuedRunId, afterSeq: 0 })).toMatchObject({ type: 'ack' });

        await client.deleteThread(workspaceId, threadId);

        expect((await socket.waitForTerminal(runId, 5_000)).type).toBe('run_cancelled');
        expectCompleteRun(socket.eventsOf(runId), { runId, threadId, terminal: 'run_cancelled' });
        expect((await socket.waitForTerminal(queuedRunId, 5_000)).type).toBe('run_cancelled');
        await expect.poll(() => llm.abortedRequests, { timeout: 3_000 }).toBeGreaterThan(0);

        expect(await client.listThreads(workspaceId)).toEqual([]);
        expect(await codeOf(client.getRun(workspaceId, runId))).toBe('RUN_NOT_FOUND');
        expect(await codeOf(client.getRun(workspaceId, queuedRunId))).toBe('RUN_NOT_FOUND');
        expect(await codeOf(client.listMessages(workspaceId, threadId))).toBe('THREAD_NOT_FOUND');
        expect(await socket.command('send_message', { threadId, text: 'hello?' })).toMatchObject({ type: 'error', code: 'THREAD_NOT_FOUND' });
        // The worker is free again and nothing it did failed.
        mode = 'fast';
        const next = await finishedThread(socket, 'A new question');
        expect((await client.listThreads(workspaceId)).map((t) => t.id)).toEqual([next.threadId]);
        const aboutTheseRuns = (spy: typeof errors) => spy.mock.calls.filter((call) => JSON.stringify(call).match(new RegExp(`${runId}|${queuedRunId}`)));
        expect(aboutTheseRuns(errors)).toEqual([]);
        expect(aboutTheseRuns(warnings)).toEqual([]);
        socket.close();
      } finally {
        errors.mockRestore();
        warnings.mockRestore();
      }
    });
  });
}
