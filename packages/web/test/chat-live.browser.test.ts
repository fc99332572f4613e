import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { RunEvent } from '@tally/protocol';
import { engineSetups } from '../../server/test/support/engines.js';
import { startFakeLlm, type FakeLlm } from '../../server/test/support/fake-llm.js';
import { rest, signUp } from '../../server/test/support/rest.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { usageNdjson } from '../../server/test/support/usage-fixtures.js';
import { logInAndConnect } from './support/web-accounts.js';
import { launchChromium, renderedTextOf, requireWebBuild, screenshot, squash, watchRunSocket, type RunSocketWatch } from './support/browser.js';

/**
 * A run that takes a while (a fake LLM streams its answer word by word, or hangs) watched in
 * Chromium through a reload, a lost network, Stop, a second tab, and beside another user.
 */
const UI = 10_000;
const RUN = 30_000;
const TEST = 60_000;
const WORDS = 80;
const LAST_WORD = `word${WORDS - 1}`;

interface Session {
  page: Page;
  socket: RunSocketWatch;
  token: string;
  email: string;
  /** The user's personal workspace: its id is the user's. */
  workspace: string;
}

describe('chat runs live in Chromium (fake LLM)', () => {
  let server: TestApp;
  let llm: FakeLlm;
  let browser: Browser;
  let mode: 'slow' | 'hang' = 'slow';

  beforeAll(async () => {
    requireWebBuild();
    llm = await startFakeLlm((request) => {
      if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
      if (mode === 'hang') return { stream: ['Thinking', ' about it'], hang: true };
      return { stream: Array.from({ length: WORDS }, (_, i) => `word${i} `), chunkDelayMs: 60 };
    });
    [server, browser] = await Promise.all([
      startTestApp({ engine: engineSetups()[0]!, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k' } }),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await llm?.close();
  });

  /** A user with usage data (over REST), logged in through the form in a fresh browser context. */
  async function logIn(label: string): Promise<Session> {
    const user = await signUp(server.baseUrl, label);
    await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 21, days: 3, requestsPerDay: 20 }) });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const socket = await watchRunSocket(page);
    await logInAndConnect(page, server.baseUrl, user.email, 'correct horse battery staple');
    return { page, socket, token: user.token, email: user.email, workspace: user.userId };
  }

  const connection = (page: Page, label: string) => page.getByRole('status', { name: `Connection: ${label}` }).waitFor({ timeout: UI });
  const turnOf = (page: Page, question: string) => page.locator('.turn').filter({ has: page.locator('.bubble.user', { hasText: question }) });
  const textOf = async (page: Page, question: string) => squash((await turnOf(page, question).locator('.answer .markdown').textContent({ timeout: UI })) ?? '');

  async function ask(page: Page, question: string): Promise<void> {
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill(question, { timeout: UI });
    await box.press('Enter', { timeout: UI });
    await turnOf(page, question).locator('article.run').waitFor({ timeout: UI });
  }

  const runIdOf = async (socket: RunSocketWatch, question: string): Promise<string> => {
    await expect.poll(() => socket.events.some((e) => e.type === 'run_queued' && e.data.text === question), { timeout: UI }).toBe(true);
    return socket.events.find((e) => e.type === 'run_queued' && e.data.text === question)!.runId;
  };
  const sawDelta = (socket: RunSocketWatch, runId: string) =>
    expect.poll(() => socket.events.some((e) => e.runId === runId && e.type === 'message_delta'), { timeout: UI }).toBe(true);

  /** The run's events as the server logged them. */
  async function serverEvents(s: Session, runId: string): Promise<RunEvent[]> {
    const res = await rest<{ events: RunEvent[] }>(server.baseUrl, 'GET', `/v1/workspaces/${s.workspace}/runs/${runId}/events?limit=1000`, { token: s.token });
    return res.body.events;
  }
  const streamedText = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'message_delta' ? [e.data.text] : [])).join('');
  /** The answer as streamed up to and including the LLM's last word (the server may add a note after it). */
  const streamedToLastWord = (events: RunEvent[]) => streamedText(events.slice(0, events.findIndex((e) => e.type === 'message_delta' && e.data.text.includes(LAST_WORD)) + 1));
  const isLastDelta = (runId: string) => (e: RunEvent) => e.runId === runId && e.type === 'message_delta' && e.data.text.includes(LAST_WORD);

  it('a reload mid-run resumes the card: every streamed word once, then the same final answer', { timeout: TEST }, async () => {
    mode = 'slow';
    const s = await logIn('reload');
    const question = 'Where is my AI money going?';
    await ask(s.page, question);
    const runId = await runIdOf(s.socket, question);
    await sawDelta(s.socket, runId);
    // After the reload the page is held once the last word arrived: what it shows is what streamed.
    const lastWord = s.socket.holdAfter(isLastDelta(runId));
    await s.page.reload({ timeout: UI });
    await lastWord;
    const card = turnOf(s.page, question).locator('article.run');
    await expect.poll(() => textOf(s.page, question), { timeout: UI }).toContain(LAST_WORD);
    expect(await card.getAttribute('aria-busy')).toBe('true');
    const streamed = await textOf(s.page, question);
    s.socket.release();
    await card.locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });

    const logged = await serverEvents(s, runId);
    const completed = logged.find((e) => e.type === 'run_completed');
    expect(completed?.type).toBe('run_completed');
    const answer = completed!.type === 'run_completed' ? completed!.data.answer : '';
    expect(streamed).toBe(renderedTextOf(streamedToLastWord(logged)));
    expect(await textOf(s.page, question)).toBe(renderedTextOf(answer));
    await screenshot(s.page, 'chat-after-reload-mid-run');
    await s.page.context().close();
  });

  it('a streaming run shifts nothing on the page (Layout Instability API) and leaves a reader scrolled up where they are', { timeout: TEST }, async () => {
    mode = 'slow';
    const s = await logIn('shift');
    const first = 'Where is my AI money going?';
    await ask(s.page, first);
    await turnOf(s.page, first).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });
    // From here on every unexpected move of something already on screen adds to the score.
    await s.page.evaluate(() => {
      const w = window as unknown as { layoutShift: number };
      w.layoutShift = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as unknown as Array<{ value: number; hadRecentInput: boolean }>) {
          if (!entry.hadRecentInput) w.layoutShift += entry.value;
        }
      }).observe({ type: 'layout-shift', buffered: false });
    });
    const second = 'And by project?';
    const box = s.page.getByRole('textbox', { name: 'Message' });
    await box.fill(second, { timeout: UI });
    await box.press('Enter', { timeout: UI });
    const runId = await runIdOf(s.socket, second);
    const lastWord = s.socket.holdAfter(isLastDelta(runId));
    await sawDelta(s.socket, runId);
    // The reader scrolls up a little to read: the stream must not pull them back down.
    const messages = s.page.locator('.messages');
    const readingAt = await messages.evaluate((el) => {
      el.scrollTop = el.scrollHeight - el.clientHeight - 200;
      return el.scrollTop;
    });
    expect(readingAt).toBeGreaterThan(0);
    await lastWord;
    await expect.poll(() => textOf(s.page, second), { timeout: UI }).toContain(LAST_WORD);
    const shift = await s.page.evaluate(() => (window as unknown as { layoutShift: number }).layoutShift);
    expect(Math.abs((await messages.evaluate((el) => el.scrollTop)) - readingAt)).toBeLessThan(2);
    s.socket.release();
    expect(shift).toBeLessThan(0.01);
    await turnOf(s.page, second).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });
    await s.page.context().close();
  });

  it('offline mid-run: the indicator says so, and back online the card completes with the exact text', { timeout: TEST }, async () => {
    mode = 'slow';
    const s = await logIn('offline');
    const question = 'How much would prompt caching save us?';
    await ask(s.page, question);
    const runId = await runIdOf(s.socket, question);
    await sawDelta(s.socket, runId);

    await s.page.context().setOffline(true);
    s.socket.dropConnections();
    await connection(s.page, 'Offline');
    await screenshot(s.page, 'chat-offline');
    const shownOffline = await textOf(s.page, question);
    expect(shownOffline).not.toContain(LAST_WORD);

    const lastWord = s.socket.holdAfter(isLastDelta(runId));
    await s.page.context().setOffline(false);
    await connection(s.page, 'Connected');
    await lastWord;
    await expect.poll(() => textOf(s.page, question), { timeout: UI }).toContain(LAST_WORD);
    const streamed = await textOf(s.page, question);
    s.socket.release();
    await turnOf(s.page, question).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });

    const logged = await serverEvents(s, runId);
    expect(streamed).toBe(renderedTextOf(streamedToLastWord(logged)));
    const completed = logged.at(-1)!;
    expect(completed.type).toBe('run_completed');
    expect(await textOf(s.page, question)).toBe(renderedTextOf(completed.type === 'run_completed' ? completed.data.answer : ''));
    await s.page.context().close();
  });

  it('Stop: the card shows the run stopped and the server cancelled it', { timeout: TEST }, async () => {
    mode = 'hang';
    const s = await logIn('stop');
    const question = 'Which calls could use a cheaper model?';
    await ask(s.page, question);
    const runId = await runIdOf(s.socket, question);
    await sawDelta(s.socket, runId);
    const card = turnOf(s.page, question).locator('article.run');
    await card.getByRole('button', { name: 'Stop' }).click({ timeout: UI });
    await card.locator('.run-status', { hasText: 'Stopped' }).waitFor({ timeout: UI });
    await card.locator('.notice', { hasText: 'Stopped' }).waitFor({ timeout: UI });
    expect(await card.getByRole('button', { name: 'Stop' }).count()).toBe(0);
    const run = await rest<{ status: string }>(server.baseUrl, 'GET', `/v1/workspaces/${s.workspace}/runs/${runId}`, { token: s.token });
    expect(run.body.status).toBe('cancelled');
    expect((await serverEvents(s, runId)).at(-1)?.type).toBe('run_cancelled');
    await s.page.context().close();
    mode = 'slow';
  });

  it('a message sent while a run goes is queued behind it, and runs after it', { timeout: TEST }, async () => {
    mode = 'slow';
    const s = await logIn('queue');
    const first = 'Where is my AI money going?';
    const second = 'And which project spends most?';
    await ask(s.page, first);
    await sawDelta(s.socket, await runIdOf(s.socket, first));
    await s.page.getByRole('button', { name: 'Queue' }).waitFor({ timeout: UI });
    await ask(s.page, second);
    const queued = turnOf(s.page, second).locator('.run-status');
    await queued.filter({ hasText: 'runs after the current one' }).waitFor({ timeout: UI });
    await turnOf(s.page, first).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });
    await queued.filter({ hasText: 'Done' }).waitFor({ timeout: RUN });
    const [a, b] = await Promise.all([runIdOf(s.socket, first), runIdOf(s.socket, second)]);
    const end = (runId: string) => s.socket.events.findIndex((e) => e.runId === runId && e.type === 'run_completed');
    const start = (runId: string) => s.socket.events.findIndex((e) => e.runId === runId && e.type === 'agent_started');
    expect(start(b)).toBeGreaterThan(end(a));
    await s.page.context().close();
  });

  it('the same thread in two tabs: both cards stream the same run', { timeout: TEST }, async () => {
    mode = 'slow';
    const s = await logIn('tabs');
    const first = 'Where is my AI money going?';
    await ask(s.page, first);
    await turnOf(s.page, first).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });
    const threadUrl = s.page.url();
    expect(threadUrl).toMatch(/#\/chat\/[0-9a-f-]{36}$/);

    const second = await s.page.context().newPage();
    const secondSocket = await watchRunSocket(second);
    await second.goto(threadUrl, { timeout: UI });
    await turnOf(second, first).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: UI });

    const followUp = 'And by project?';
    await ask(s.page, followUp);
    const runId = await runIdOf(s.socket, followUp);
    // The other tab learns of the run from the server and streams it too, while it runs.
    const otherCard = turnOf(second, followUp).locator('article.run');
    await otherCard.waitFor({ timeout: UI });
    await sawDelta(secondSocket, runId);
    expect(secondSocket.events.find((e) => e.runId === runId && e.type === 'run_completed')).toBeUndefined();
    await otherCard.locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });
    await turnOf(s.page, followUp).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });
    expect(await textOf(second, followUp)).toBe(await textOf(s.page, followUp));
    expect(streamedText(secondSocket.events.filter((e) => e.runId === runId))).toBe(streamedText(await serverEvents(s, runId)));
    await s.page.context().close();
  });

  it("two users never see each other's threads or runs, on the page or on their sockets", { timeout: TEST }, async () => {
    mode = 'slow';
    const [a, b] = await Promise.all([logIn('iso-a'), logIn('iso-b')]);
    const qa = 'Where is my AI money going, Alice?';
    const qb = 'Where is my AI money going, Bob?';
    await Promise.all([ask(a.page, qa), ask(b.page, qb)]);
    await Promise.all([
      turnOf(a.page, qa).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN }),
      turnOf(b.page, qb).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN }),
    ]);
    for (const [me, other, otherQuestion] of [[a, b, qb], [b, a, qa]] as const) {
      const threads = await rest<{ threads: Array<{ id: string }> }>(server.baseUrl, 'GET', `/v1/workspaces/${other.workspace}/threads`, { token: other.token });
      const otherIds = [...threads.body.threads.map((t) => t.id), ...other.socket.events.map((e) => e.runId)];
      expect(otherIds.length).toBeGreaterThan(1);
      const body = (await me.page.locator('body').textContent()) ?? '';
      expect(body).not.toContain(otherQuestion);
      expect(body).not.toContain(other.email);
      const frames = JSON.stringify(me.socket.frames);
      for (const id of otherIds) expect(frames).not.toContain(id);
      expect(frames).not.toContain(otherQuestion);
      expect(await me.page.getByRole('navigation', { name: 'Threads' }).locator('li').count()).toBe(1);
    }
    await Promise.all([a.page.context().close(), b.page.context().close()]);
  });
});
