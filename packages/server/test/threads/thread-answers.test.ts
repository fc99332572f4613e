import { ReportSchema, type RunEvent } from '@tally/protocol';
import { createRestClient } from '@tally/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThreadHistory } from '../../src/agents/thread-history.js';
import { engineSetups } from '../support/engines.js';
import { signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket, type TestSocket } from '../support/ws-test-client.js';

/**
 * Answers that fit the question across a thread, on the real server and store (issue 16, item 4):
 * threads are titled by topic; the first analysis question of a thread gets the full report and
 * plan, a later specific one its part; the thread history a run reads is its owner's own.
 */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`answers across a thread on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    beforeAll(async () => {
      server = await startTestApp({ engine, env: { TALLY_MESSAGES_PER_MINUTE: '1000' } });
    });
    afterAll(async () => {
      await server?.close();
    });

    async function user(label: string) {
      const account = await signUp(server.baseUrl, label);
      const client = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => account.token });
      await client.uploadUsage(account.userId, usageNdjson({ seed: 7, days: 3, requestsPerDay: 30 }));
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, account.token), workspaceId: account.userId });
      return { account, client, socket };
    }

    async function ask(socket: TestSocket, text: string, threadId?: string) {
      const ack = await socket.command('send_message', threadId ? { threadId, text } : { text });
      const started = ack['data'] as { runId: string; threadId: string };
      const terminal = (await socket.waitForTerminal(started.runId)) as RunEvent;
      if (terminal.type !== 'run_completed') throw new Error(`run ended ${terminal.type}`);
      return { ...started, answer: terminal.data.answer, report: terminal.data.report ? ReportSchema.parse(terminal.data.report) : null };
    }

    it('titles threads by topic, gives the first analysis question the full report and later ones their part', async () => {
      const { account, client, socket } = await user('thread-answers');
      const hello = await ask(socket, 'Hello!');
      expect(hello.report).toBeNull();
      expect(hello.answer).toContain("Hello! I'm Tally.");

      // The greeting was not an analysis question: the first one in the thread still gets the full report.
      const first = await ask(socket, 'How much would prompt caching save?', hello.threadId);
      expect(first.report?.depth).toBe('full');
      expect(first.answer).toContain('### Plan');
      const second = await ask(socket, 'Could our nightly jobs use a batch API?', hello.threadId);
      expect(second.report).toMatchObject({ depth: 'focused', focus: 'batch_api' });
      expect(second.answer).not.toContain('### Plan');
      const asked = await ask(socket, 'Show me the full report', hello.threadId);
      expect(asked.report?.depth).toBe('full');

      // A new thread starts over, and is named by its topic.
      const other = await ask(socket, 'What is our spend by model?');
      expect(other.report?.depth).toBe('full');
      const titles = Object.fromEntries((await client.listThreads(account.userId)).map((t) => [t.id, t.title]));
      expect(titles).toEqual({ [hello.threadId]: 'Getting started', [other.threadId]: 'Spend by model' });
      socket.close();
    });

    it("reads only the owner's earlier questions of the thread, before the run's own", async () => {
      const a = await user('history-a');
      const b = await user('history-b');
      const one = await ask(a.socket, 'Where is my AI money going?');
      const two = await ask(a.socket, 'Spend by model?', one.threadId);
      await ask(a.socket, 'And by project?', one.threadId);
      const history = createThreadHistory(server.app.services.db);
      expect(await history.earlierQuestions({ ownerId: a.account.userId, threadId: one.threadId, runId: two.runId })).toEqual(['Where is my AI money going?']);
      expect(await history.earlierQuestions({ ownerId: a.account.userId, threadId: one.threadId, runId: one.runId })).toEqual([]);
      // Another user naming the thread and run sees nothing of it.
      expect(await history.earlierQuestions({ ownerId: b.account.userId, threadId: one.threadId, runId: two.runId })).toEqual([]);
      a.socket.close();
      b.socket.close();
    });
  });
}
