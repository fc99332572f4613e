import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import type { Message, RunEvent } from '@tally/protocol';
import { engineSetups } from '../../server/test/support/engines.js';
import { startFakeLlm, type FakeLlm } from '../../server/test/support/fake-llm.js';
import { rest, signUp } from '../../server/test/support/rest.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { usageNdjson } from '../../server/test/support/usage-fixtures.js';
import { seriousAxeViolations } from './support/axe.js';
import { logInAndConnect } from './support/web-accounts.js';
import { launchChromium, requireWebBuild, screenshot, watchRunSocket, type RunSocketWatch } from './support/browser.js';

/**
 * The chat's daily actions in Chromium, keyboard first: where the view rests after a run, copy,
 * rating with a note, regenerate, retry after Stop, edit and resend, export as Markdown, search
 * hits that open the thread at the message, and a streamed list that never shows an empty item.
 * One user and one page go through them in order (one browser for the file).
 */
const UI = 10_000;
const RUN = 30_000;
const TEST = 60_000;
const ANSWER_WORDS = Array.from({ length: 30 }, (_, i) => `w${i} `);
/** Streamed as a numbered list, each item's marker in a chunk of its own. */
const LIST_CHUNKS = ['Steps:\n\n', '1.', ' Cache the prompt\n', '2.', ' Batch the nightly jobs\n'];

describe('chat actions in Chromium (fake LLM)', () => {
  let server: TestApp;
  let llm: FakeLlm;
  let browser: Browser;
  let mode: 'words' | 'hang' | 'list' = 'words';
  let page: Page;
  let socket: RunSocketWatch;
  let token: string;
  /** The user's personal workspace: its id is the user's. */
  let workspace: string;

  beforeAll(async () => {
    requireWebBuild();
    llm = await startFakeLlm((request) => {
      if (request.body['stream'] !== true) return { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } };
      if (mode === 'hang') return { stream: ['Thinking'], hang: true };
      if (mode === 'list') return { stream: LIST_CHUNKS, chunkDelayMs: 40 };
      return { stream: ['## Where the money goes\n\n', ...ANSWER_WORDS], chunkDelayMs: 15 };
    });
    [server, browser] = await Promise.all([
      startTestApp({ engine: engineSetups()[0]!, env: { TALLY_LLM_BASE_URL: llm.url, TALLY_LLM_MODEL: 'fake', TALLY_LLM_API_KEY: 'k', TALLY_MESSAGES_PER_MINUTE: '1000' } }),
      launchChromium(),
    ]);
    const user = await signUp(server.baseUrl, 'actions');
    token = user.token;
    workspace = user.userId;
    await rest(server.baseUrl, 'POST', `/v1/workspaces/${workspace}/usage`, { token, body: usageNdjson({ seed: 21, days: 3, requestsPerDay: 20 }) });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    socket = await watchRunSocket(page);
    await logInAndConnect(page, server.baseUrl, user.email, 'correct horse battery staple');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await llm?.close();
  });

  const turns = (question: string) => page.locator('.turn').filter({ has: page.locator('.bubble.user', { hasText: new RegExp(`^${question.replace(/[?]/g, '\\?')}$`) }) });
  const done = (turn: Locator) => turn.locator('.run-status', { hasText: /Done|Stopped|Failed/ }).waitFor({ timeout: RUN });
  const focusedLabel = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '');
  const threadIdOfPage = () => /#\/chat\/([0-9a-f-]{36})/.exec(page.url())![1]!;
  const messagesOf = async (threadId: string) => (await rest<{ messages: Message[] }>(server.baseUrl, 'GET', `/v1/workspaces/${workspace}/threads/${threadId}/messages`, { token })).body.messages;

  async function ask(question: string): Promise<void> {
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill(question, { timeout: UI });
    await box.press('Enter', { timeout: UI });
  }

  it('after a run the view rests at the start of its answer; copy; rate with a note by keyboard; regenerate', { timeout: TEST }, async () => {
    mode = 'words';
    const question = 'Where is my AI money going?';
    await ask(question);
    const turn = turns(question).first();
    await done(turn);
    // The report's charts are below the answer: the view is at the answer's first line, not at the end.
    const restingPlace = () =>
      page.evaluate(() => {
        const box = document.querySelector('.messages')!;
        const answer = [...document.querySelectorAll('.turn .answer')].at(-1)!;
        return { offset: answer.getBoundingClientRect().top - box.getBoundingClientRect().top, below: box.scrollHeight - box.scrollTop - box.clientHeight };
      });
    await expect.poll(async () => (await restingPlace()).below, { timeout: UI }).toBeGreaterThan(100);
    const rest1 = await restingPlace();
    expect(rest1.offset).toBeGreaterThanOrEqual(0);
    expect(rest1.offset).toBeLessThan(40);
    expect(rest1.below).toBeGreaterThan(100);
    await screenshot(page, 'chat-rests-at-answer-start');

    // Copy: the clipboard holds the answer exactly as the run ended with it.
    const runId = socket.events.find((e) => e.type === 'run_queued' && e.data.text === question)!.runId;
    const events = (await rest<{ events: RunEvent[] }>(server.baseUrl, 'GET', `/v1/workspaces/${workspace}/runs/${runId}/events?limit=1000`, { token })).body.events;
    const completed = events.find((e) => e.type === 'run_completed');
    await turn.getByRole('button', { name: 'Copy answer' }).click({ timeout: UI });
    await turn.getByRole('status').filter({ hasText: 'Answer copied.' }).waitFor({ timeout: UI });
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(completed?.type === 'run_completed' ? completed.data.answer : 'no answer');

    // Keyboard only: Tab from Copy reaches Regenerate, then Good answer; Enter rates and opens the note.
    await turn.getByRole('button', { name: 'Copy answer' }).focus();
    await page.keyboard.press('Tab');
    expect(await focusedLabel()).toBe('Regenerate answer');
    await page.keyboard.press('Tab');
    expect(await focusedLabel()).toBe('Good answer');
    // Focus is visible on a keyboard-focused control.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Enter');
    const note = turn.getByLabel('Note on this answer (optional)');
    await expect.poll(() => note.evaluate((el) => el === document.activeElement), { timeout: UI }).toBe(true);
    await page.keyboard.type('Clear, and the figures match');
    await page.keyboard.press('Tab');
    expect(await focusedLabel()).toBe('Save note');
    await page.keyboard.press('Enter');
    await turn.getByText('Rated good: “Clear, and the figures match”').waitFor({ timeout: UI });
    // The focus goes back to the rating the note was for.
    expect(await focusedLabel()).toBe('Good answer');
    expect(await turn.getByRole('button', { name: 'Good answer' }).getAttribute('aria-pressed')).toBe('true');
    const stored = await rest<{ feedback: Array<{ runId: string; rating: string; note: string }> }>(server.baseUrl, 'GET', `/v1/workspaces/${workspace}/threads/${threadIdOfPage()}/feedback`, { token });
    expect(stored.body.feedback).toEqual([expect.objectContaining({ runId, rating: 'up', note: 'Clear, and the figures match' })]);

    // Regenerate: the same question runs again, as a new turn with its own run.
    await turn.getByRole('button', { name: 'Regenerate answer' }).click({ timeout: UI });
    await expect.poll(() => turns(question).count(), { timeout: UI }).toBe(2);
    await done(turns(question).nth(1));
    const asked = (await messagesOf(threadIdOfPage())).filter((m) => m.role === 'user');
    expect(asked.map((m) => m.content)).toEqual([question, question]);
    expect(new Set(asked.map((m) => m.runId)).size).toBe(2);
    // The rating stays with the first answer after a reload.
    await page.reload({ timeout: UI });
    await expect.poll(() => turns(question).first().getByRole('button', { name: 'Good answer' }).getAttribute('aria-pressed', { timeout: UI }), { timeout: UI }).toBe('true');
    expect(await turns(question).nth(1).getByRole('button', { name: 'Good answer' }).getAttribute('aria-pressed')).toBe('false');
    // A thread with answers and their actions: no serious accessibility finding.
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('a stopped run is retried; a question is edited and sent again (Escape cancels an edit)', { timeout: TEST }, async () => {
    mode = 'hang';
    const question = 'Which model spends most on the zebrafish feature?';
    await ask(question);
    const first = turns(question).first();
    await first.getByRole('button', { name: 'Stop' }).click({ timeout: UI });
    await first.locator('.run-status', { hasText: 'Stopped' }).waitFor({ timeout: UI });
    mode = 'words';
    await first.getByRole('button', { name: 'Retry this question' }).click({ timeout: UI });
    await expect.poll(() => turns(question).count(), { timeout: UI }).toBe(2);
    await turns(question).nth(1).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });

    const edit = first.getByRole('button', { name: 'Edit and resend this question' });
    await edit.click({ timeout: UI });
    const box = page.getByRole('textbox', { name: 'Edited question' });
    await expect.poll(() => box.evaluate((el) => el === document.activeElement), { timeout: UI }).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => box.count(), { timeout: UI }).toBe(0);
    await expect.poll(focusedLabel, { timeout: UI }).toBe('Edit and resend this question');
    await page.keyboard.press('Enter');
    await box.fill('Which model spends most on the search feature?', { timeout: UI });
    await box.press('Enter', { timeout: UI });
    const edited = turns('Which model spends most on the search feature?');
    await edited.waitFor({ timeout: UI });
    await done(edited);
    // The original question and its turns stay as they were.
    expect(await turns(question).count()).toBe(2);
    const asked = (await messagesOf(threadIdOfPage())).filter((m) => m.role === 'user').map((m) => m.content);
    expect(asked.slice(-3)).toEqual([question, question, 'Which model spends most on the search feature?']);
  });

  it('exports the thread as a Markdown file: every question, each answer under it', { timeout: TEST }, async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: UI }), page.getByRole('button', { name: 'Export as Markdown' }).click({ timeout: UI })]);
    expect(download.suggestedFilename()).toMatch(/^tally-[a-z0-9-]+\.md$/);
    const text = fs.readFileSync((await download.path())!, 'utf8');
    const asked = (await messagesOf(threadIdOfPage())).filter((m) => m.role === 'user');
    expect(text.match(/^## Question$/gm)?.length).toBe(asked.length);
    expect(text).toContain('> Which model spends most on the search feature?');
    expect(text).toContain('## Where the money goes');
    // The stopped run has no answer, and says so.
    expect(text).toContain('_No answer (the run failed, was stopped or is still going)._');
  });

  it('search marks the text in each hit and opens the thread at the matching message', { timeout: TEST }, async () => {
    const threadId = threadIdOfPage();
    const target = (await messagesOf(threadId)).find((m) => m.content.includes('zebrafish'))!;
    // Another thread, so the hit is opened from elsewhere.
    await page.getByRole('button', { name: 'New thread' }).click({ timeout: UI });
    await ask('A question about something else');
    await done(turns('A question about something else'));
    await page.getByRole('searchbox', { name: 'Search threads' }).fill('ZEBRAFISH', { timeout: UI });
    const hit = page.getByRole('navigation', { name: 'Threads' }).locator('.thread-item').filter({ has: page.locator('mark') });
    await hit.waitFor({ timeout: UI });
    expect(await hit.locator('mark').first().textContent()).toBe('zebrafish');
    await screenshot(page, 'chat-search-hit');
    await hit.locator('button.thread').click({ timeout: UI });
    await page.waitForURL(`**/#/chat/${threadId}/${target.id}`, { timeout: UI });
    const found = page.locator(`#message-${target.id}`);
    await expect.poll(() => found.evaluate((el) => el === document.activeElement && el.classList.contains('found')), { timeout: UI }).toBe(true);
    await screenshot(page, 'chat-search-hit-opened');
    const inView = await found.evaluate((el) => {
      const box = document.querySelector('.messages')!.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return r.top >= box.top - 1 && r.top < box.bottom;
    });
    expect(inView).toBe(true);
  });

  it('an admin sees the rating on the admin page, with who gave it, the question and the note', { timeout: TEST }, async () => {
    // The test's user is the server's first account, so its admin.
    await page.goto(`${server.baseUrl}/#/settings`, { timeout: UI });
    const section = page.getByRole('region', { name: 'Answer feedback' });
    const row = section.getByRole('row').filter({ hasText: 'Clear, and the figures match' });
    await row.waitFor({ timeout: UI });
    expect(await row.textContent()).toContain('Where is my AI money going?');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await section.getByLabel('Show').selectOption('down');
    await section.getByText('No feedback yet.').waitFor({ timeout: UI });
    await page.goBack({ timeout: UI });
  });

  it('a streamed numbered list never shows an empty item while the next one is on its way', { timeout: TEST }, async () => {
    mode = 'list';
    await page.getByRole('searchbox', { name: 'Search threads' }).fill('', { timeout: UI });
    // Every state the answer passes through is looked at (a MutationObserver runs before each paint).
    await page.evaluate(() => {
      const w = window as unknown as { emptyItems: number; itemsSeen: number };
      w.emptyItems = 0;
      w.itemsSeen = 0;
      new MutationObserver(() => {
        const items = [...document.querySelectorAll('.turn:last-child .answer li')];
        w.itemsSeen = Math.max(w.itemsSeen, items.length);
        w.emptyItems += items.filter((li) => !li.textContent?.trim()).length;
      }).observe(document.querySelector('.messages')!, { subtree: true, childList: true, characterData: true });
    });
    const question = 'What should we do first?';
    await ask(question);
    await done(turns(question));
    const answer = turns(question).locator('.answer .markdown');
    expect(await answer.locator('li').allTextContents()).toEqual(['Cache the prompt', 'Batch the nightly jobs']);
    const seen = await page.evaluate(() => {
      const w = window as unknown as { emptyItems: number; itemsSeen: number };
      return { emptyItems: w.emptyItems, itemsSeen: w.itemsSeen };
    });
    expect(seen.itemsSeen).toBe(2);
    expect(seen.emptyItems).toBe(0);
  });
});
