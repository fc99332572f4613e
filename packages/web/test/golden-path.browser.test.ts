import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { RunEvent } from '@tally/protocol';
import { engineSetups } from '../../server/test/support/engines.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { usageNdjson } from '../../server/test/support/usage-fixtures.js';
import { SCREENSHOT_DIR, launchChromium, renderedTextOf, requireWebBuild, screenshot, squash, watchRunSocket, type RunSocketWatch } from './support/browser.js';

/**
 * The golden path in a real Chromium against a real node serving the built web app (embedded
 * engine, offline LLM): sign up, upload usage, ask, watch the run card live, reload, two users
 * kept apart, a bad upload line named. Screenshots land in test-artifacts/screenshots/.
 */
const UI = 10_000; // one UI reaction
const RUN = 30_000; // a whole run, offline
const TEST = 60_000;

const QUESTION_A = 'Where is my AI money going?';
const QUESTION_A2 = 'Which calls could use a cheaper model?';
const QUESTION_B = 'How much would prompt caching save us?';

interface User {
  context: BrowserContext;
  page: Page;
  email: string;
  socket: RunSocketWatch;
}

describe('web app golden path in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let files: string;
  let a: User;
  let b: User;

  beforeAll(async () => {
    requireWebBuild();
    [server, browser] = await Promise.all([startTestApp({ engine: engineSetups()[0]! }), launchChromium()]);
    files = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-web-e2e-'));
    await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (files) await fs.rm(files, { recursive: true, force: true });
  });

  /** A fresh browser context per user, signed up through the form. */
  async function signUp(label: string): Promise<User> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const socket = await watchRunSocket(page);
    const email = `${label}-${process.pid}-${Date.now()}@example.com`;
    await page.goto(server.baseUrl, { timeout: UI });
    await page.getByRole('tab', { name: 'Sign up' }).click({ timeout: UI });
    await page.getByLabel('Email').fill(email, { timeout: UI });
    await page.getByLabel('Password').fill('correct horse battery staple', { timeout: UI });
    await page.getByRole('button', { name: 'Create account' }).click({ timeout: UI });
    await page.getByText(email).waitFor({ timeout: UI });
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: UI });
    return { context, page, email, socket };
  }

  /** Uploads on the Usage page, then comes back to the chat through the navigation. */
  async function upload(user: User, name: string, content: string): Promise<Locator> {
    const file = path.join(files, name);
    await fs.writeFile(file, content);
    await user.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click({ timeout: UI });
    const section = user.page.getByRole('region', { name: 'Upload usage data' });
    await section.locator('input[type=file]').setInputFiles(file, { timeout: UI });
    const summary = section.locator('.ingest-summary', { hasText: name });
    await summary.waitFor({ timeout: UI });
    return summary;
  }

  async function openChat(user: User): Promise<void> {
    await user.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat' }).click({ timeout: UI });
    await user.page.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: UI });
  }

  /** Types the question and presses Enter; returns the question's turn once its run card shows. */
  async function ask(user: User, question: string): Promise<Locator> {
    const box = user.page.getByRole('textbox', { name: 'Message' });
    await box.fill(question, { timeout: UI });
    await box.press('Enter', { timeout: UI });
    const turn = turnOf(user, question);
    await turn.locator('article.run').waitFor({ timeout: UI });
    return turn;
  }

  const turnOf = (user: User, question: string) => user.page.locator('.turn').filter({ has: user.page.locator('.bubble.user', { hasText: question }) });
  const threadList = (user: User) => user.page.getByRole('navigation', { name: 'Threads' });
  const textOf = async (locator: Locator) => squash((await locator.textContent({ timeout: UI })) ?? '');

  /** The events of the run a question started, as the server sent them to the page. */
  function eventsOf(user: User, question: string): RunEvent[] {
    const runId = user.socket.events.find((e) => e.type === 'run_queued' && e.data.text === question)?.runId;
    return user.socket.events.filter((e) => e.runId === runId);
  }

  async function completedAnswer(user: User, question: string): Promise<string> {
    const answers = () => eventsOf(user, question).flatMap((e) => (e.type === 'run_completed' ? [e.data.answer] : []));
    await expect.poll(() => answers().length, { timeout: UI }).toBe(1);
    return answers()[0]!;
  }

  it('signs up, uploads usage, asks, and shows the run live to its report', { timeout: TEST }, async () => {
    a = await signUp('alice');
    await screenshot(a.page, '1-signed-in');

    const records = usageNdjson({ seed: 11, days: 7, requestsPerDay: 40 });
    const lines = records.trimEnd().split('\n').length;
    const summary = await upload(a, 'usage.ndjson', records);
    expect(await summary.textContent()).toContain(`${lines} lines, ${lines} new, 0 already there, 0 refused`);
    await openChat(a);

    // Live: the page is held just after the answer's first words, mid-run as far as it knows.
    const frozen = a.socket.holdAfter((e) => e.type === 'message_delta');
    const turn = await ask(a, QUESTION_A);
    const card = turn.locator('article.run');
    await frozen;
    await card.locator('.answer .cursor').waitFor({ timeout: UI }); // the streaming caret
    expect(await card.getAttribute('aria-busy')).toBe('true');
    expect(await card.locator('.run-status').textContent()).toContain('Working');
    expect(await card.locator('.timeline .tl-agent').count()).toBeGreaterThan(2);
    expect(await card.locator('.tl-tool .tool-name').count()).toBeGreaterThan(0);
    const partial = await textOf(card.locator('.answer .markdown'));
    expect(partial.length).toBeGreaterThan(0);
    await screenshot(a.page, '2-run-live');
    a.socket.release();

    await card.locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });
    expect(await card.getAttribute('aria-busy')).toBe('false');
    // The steps fold when the run ends; open them and a tool call with its arguments and result.
    await card.locator('.run-steps > summary').click({ timeout: UI });
    const tool = card.locator('.tl-tool details.tool').first();
    await tool.locator('summary').click({ timeout: UI });
    expect(await tool.locator('.tool-state').textContent()).toContain('done');
    expect(await tool.locator('.tool-body .label').allTextContents()).toEqual(expect.arrayContaining(['Arguments', 'Result']));

    // The answer on the page is, word for word, the answer the run completed with, and what streamed.
    const answer = await completedAnswer(a, QUESTION_A);
    expect(answer).toContain('Where your AI money goes');
    const rendered = await textOf(card.locator('.answer .markdown'));
    expect(rendered).toBe(renderedTextOf(answer));
    expect(partial.length).toBeLessThan(rendered.length);
    expect(eventsOf(a, QUESTION_A).flatMap((e) => (e.type === 'message_delta' ? [e.data.text] : [])).join('')).toBe(answer);
    await card.locator('.answer h3', { hasText: 'Where your AI money goes' }).waitFor({ timeout: UI });

    // The report: a dollar total and every chart of the report drawn, with money on the axis.
    const report = card.getByRole('region', { name: 'Report' });
    expect(await report.locator('.figure', { hasText: 'Spend' }).locator('dd').textContent()).toMatch(/^\$\d[\d,]*\.\d\d/);
    const chart = report.getByRole('img', { name: 'Cost by model per day' });
    await chart.locator('.recharts-bar-rectangle').first().waitFor({ timeout: UI });
    expect(await chart.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(1);
    expect((await chart.locator('.recharts-cartesian-axis-tick-value').allTextContents()).some((t) => /^\$\d/.test(t))).toBe(true);
    const savings = report.getByRole('img', { name: 'Projected monthly saving by recommendation' });
    await savings.locator('.recharts-bar-rectangle').first().waitFor({ timeout: UI });
    await report.getByRole('img', { name: 'Mean latency by model' }).waitFor({ timeout: UI });
    await chart.scrollIntoViewIfNeeded();
    await screenshot(a.page, '3-run-report');
  });

  it('restores the session, the thread and its answers after a reload', { timeout: TEST }, async () => {
    await ask(a, QUESTION_A2);
    await a.page.reload({ timeout: UI }); // most likely mid-run on the server: the card comes back from the log
    await a.page.getByText(a.email).waitFor({ timeout: UI });

    const first = turnOf(a, QUESTION_A);
    const second = turnOf(a, QUESTION_A2);
    await second.locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });
    await first.locator('.answer h3', { hasText: 'Where your AI money goes' }).waitFor({ timeout: UI });
    expect(await textOf(first.locator('.answer .markdown'))).toBe(renderedTextOf(await completedAnswer(a, QUESTION_A)));
    expect(await textOf(second.locator('.answer .markdown'))).toBe(renderedTextOf(await completedAnswer(a, QUESTION_A2)));
    await first.getByRole('img', { name: 'Cost by model per day' }).waitFor({ timeout: UI });
    expect(await threadList(a).locator('li').count()).toBe(1);
    // Threads are titled by their topic, not their first words.
    expect(await threadList(a).locator('.thread-item.active').textContent()).toContain('Spend overview');
    await screenshot(a.page, '4-after-reload');
  });

  it("keeps two users' threads apart", { timeout: TEST }, async () => {
    b = await signUp('bob');
    await threadList(b).getByText('No thread yet').waitFor({ timeout: UI });
    await upload(b, 'bob.ndjson', usageNdjson({ seed: 12, days: 3, requestsPerDay: 20 }));
    await openChat(b);
    const turn = await ask(b, QUESTION_B);
    await turn.locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });
    await threadList(b).locator('.thread-item.active', { hasText: 'Prompt caching savings' }).waitFor({ timeout: UI });

    const seenByB = (await b.page.locator('body').textContent()) ?? '';
    expect(await threadList(b).locator('li').count()).toBe(1);
    expect(seenByB).not.toContain(QUESTION_A);
    expect(seenByB).not.toContain(QUESTION_A2);
    expect(b.socket.events.some((e) => e.type === 'run_queued' && e.data.text !== QUESTION_B)).toBe(false);

    await a.page.reload({ timeout: UI });
    await turnOf(a, QUESTION_A).waitFor({ timeout: UI });
    // The list loads apart from the open thread's turns: counted once its own thread is in it.
    await threadList(a).locator('.thread-item.active').waitFor({ timeout: UI });
    expect(await threadList(a).locator('li').count()).toBe(1);
    expect(await a.page.locator('body').textContent()).not.toContain(QUESTION_B);
    await screenshot(b.page, '5-second-user');
  });

  it('names the line of a bad record in the upload summary', { timeout: TEST }, async () => {
    const good = usageNdjson({ seed: 13, days: 1, requestsPerDay: 10 }).trimEnd().split('\n');
    const badLine = 4;
    const content = [...good.slice(0, badLine - 1), '{"model": not json', ...good.slice(badLine - 1)].join('\n') + '\n';
    const summary = await upload(b, 'with-a-bad-line.ndjson', content);
    expect(await summary.textContent()).toContain(`${good.length + 1} lines, ${good.length} new, 0 already there, 1 refused`);
    await summary.getByText('Refused lines').click({ timeout: UI });
    const rows = summary.locator('tbody tr');
    await rows.first().waitFor({ timeout: UI });
    expect(await rows.count()).toBe(1);
    expect(await rows.locator('td.num').textContent()).toBe(String(badLine));
    expect(await rows.locator('td').nth(1).textContent()).not.toBe('');
    await screenshot(b.page, '6-upload-bad-line');
  });
});
