import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { engineSetups } from '../../server/test/support/engines.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { usageNdjson } from '../../server/test/support/usage-fixtures.js';
import { seriousAxeViolations } from './support/axe.js';
import { launchChromium, requireWebBuild, screenshot } from './support/browser.js';
import { validRecords } from './support/usage-sums.js';
import { PHONE, LAPTOP, signUpInBrowser, type WebAccount } from './support/web-accounts.js';
import { wholePageScreenshot } from './support/whole-page-screenshot.js';

/**
 * A team in Chromium against a real node (embedded engine, offline agents), issue 17: A makes a
 * team workspace, which the switcher then shows; B joins through an invitation link; A uploads
 * usage into the team and both read the same dashboard; A shares one thread and keeps another
 * personal; B finds the shared one, marked with its author, read-only, and not the other. When A
 * removes B, B's open app is told at once and falls back to B's personal workspace.
 */
const UI = 10_000;
const RUN = 30_000;
const TEST = 90_000;
const TEAM = 'Cost review team';
const SHARED_Q = 'Where is the team money going?';
const PRIVATE_Q = 'Which calls could use a cheaper model?';
const USAGE = usageNdjson({ seed: 17, days: 5, requestsPerDay: 12, end: new Date() });

describe('a team workspace in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let a: WebAccount;
  let b: WebAccount;
  let files: string;

  beforeAll(async () => {
    requireWebBuild();
    [server, browser] = await Promise.all([startTestApp({ engine: engineSetups()[0]! }), launchChromium()]);
    files = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-team-'));
    [a, b] = await Promise.all([signUpInBrowser(browser, server.baseUrl, 'team-a'), signUpInBrowser(browser, server.baseUrl, 'team-b')]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (files) await fs.rm(files, { recursive: true, force: true });
  });

  const switcher = (p: Page) => p.getByRole('combobox', { name: 'Workspace' });
  const shownWorkspace = async (p: Page) => (await switcher(p).locator('option:checked').textContent({ timeout: UI }))?.trim();
  const go = (p: Page, page: 'Chat' | 'Usage' | 'Workspaces') => p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: page }).click({ timeout: UI });
  const threads = (p: Page) => p.getByRole('navigation', { name: 'Threads' });
  const threadItem = (p: Page, threadId: string) => threads(p).locator(`li.thread-item[data-thread-id="${threadId}"]`);

  /** Asks in a new thread of the current workspace; the thread's id, from the address. */
  async function ask(p: Page, question: string): Promise<string> {
    await go(p, 'Chat');
    await threads(p).getByRole('button', { name: 'New thread' }).click({ timeout: UI });
    const box = p.getByRole('textbox', { name: 'Message' });
    await box.fill(question, { timeout: UI });
    await box.press('Enter', { timeout: UI });
    await p.locator('.turn', { hasText: question }).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });
    return /#\/chat\/([0-9a-f-]{36})/.exec(p.url())![1]!;
  }

  /** The dashboard's figures as the page shows them, by name. */
  async function figures(p: Page): Promise<Record<string, string>> {
    await p.locator('[data-total="requests"] .figure-value').waitFor({ timeout: UI });
    const ids = await p.locator('[data-total]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-total'), e.querySelector('.figure-value')?.textContent ?? '']));
    return Object.fromEntries(ids);
  }

  it('starts each person in their personal workspace, listed first in the switcher', { timeout: TEST }, async () => {
    for (const p of [a.page, b.page]) {
      expect(await shownWorkspace(p)).toMatch(/personal/i);
      expect(await switcher(p).locator('option').count()).toBe(1);
    }
  });

  it('A makes a team (the app switches to it), B joins by link and is switched to it too', { timeout: TEST }, async () => {
    const p = a.page;
    await go(p, 'Workspaces');
    await p.getByLabel('Workspace name').fill(TEAM, { timeout: UI });
    await p.getByRole('button', { name: 'Create workspace' }).click({ timeout: UI });
    await p.getByRole('heading', { name: TEAM, level: 2 }).waitFor({ timeout: UI });
    await expect.poll(() => shownWorkspace(p)).toBe(`${TEAM} (owner)`);
    // The personal workspace stays first.
    expect((await switcher(p).locator('option').allTextContents())[0]).toMatch(/personal/i);
    // The owner manages the team's API keys there.
    await p.getByRole('heading', { name: 'API keys' }).waitFor({ timeout: UI });

    await p.getByRole('button', { name: 'Create link' }).click({ timeout: UI });
    const link = new URL(await p.getByLabel('Invitation link, secret').inputValue({ timeout: UI }));
    await b.page.goto(`${server.baseUrl}${link.pathname}${link.hash}`, { timeout: UI });
    await b.page.getByRole('button', { name: 'Accept invitation' }).click({ timeout: UI });
    await b.page.getByText(`You joined ${TEAM} as member`).waitFor({ timeout: UI });
    await expect.poll(() => shownWorkspace(b.page)).toBe(`${TEAM} (member)`);
  });

  it('A uploads usage into the team; A and B read the same dashboard figures, and B has none of it in the personal workspace', { timeout: TEST }, async () => {
    const p = a.page;
    await go(p, 'Usage');
    const file = path.join(files, 'team.ndjson');
    await fs.writeFile(file, USAGE);
    await p.getByRole('region', { name: 'Upload usage data' }).locator('input[type=file]').setInputFiles(file, { timeout: UI });
    const count = validRecords(USAGE).length;
    await expect.poll(() => p.locator('[data-count="inserted"]').first().textContent(), { timeout: UI }).toBe(count.toLocaleString('en-US'));

    await go(b.page, 'Usage');
    await expect.poll(async () => (await figures(b.page)).requests, { timeout: UI }).toBe(count.toLocaleString('en-US'));
    await p.reload({ timeout: UI });
    const seenByA = await figures(p);
    expect(seenByA.requests).toBe(count.toLocaleString('en-US'));
    expect(await figures(b.page)).toEqual(seenByA);
    expect(await seriousAxeViolations(b.page)).toEqual([]);
    await wholePageScreenshot(b.page, 'team-usage-member-laptop');

    // B's personal workspace holds none of the team's records.
    const personal = (await switcher(b.page).locator('option').first().getAttribute('value'))!;
    await switcher(b.page).selectOption(personal, { timeout: UI });
    await b.page.getByRole('region', { name: 'No usage yet' }).waitFor({ timeout: UI });
    const team = (await switcher(b.page).locator('option', { hasText: TEAM }).getAttribute('value'))!;
    await switcher(b.page).selectOption(team, { timeout: UI });
    await expect.poll(async () => (await figures(b.page)).requests, { timeout: UI }).toBe(count.toLocaleString('en-US'));
  });

  it('A shares one thread and keeps another personal; B reads the shared one, read-only with its author, and never sees the other', { timeout: TEST }, async () => {
    const p = a.page;
    const privateId = await ask(p, PRIVATE_Q);
    const sharedId = await ask(p, SHARED_Q);
    const sharedItem = threadItem(p, sharedId);
    expect(await sharedItem.locator('[data-mark]').getAttribute('data-mark')).toBe('personal');
    await sharedItem.getByRole('button', { name: /^Share .* with the workspace$/ }).click({ timeout: UI });
    await expect.poll(() => sharedItem.locator('[data-mark]').getAttribute('data-mark')).toBe('shared');
    expect(await threadItem(p, privateId).locator('[data-mark]').getAttribute('data-mark')).toBe('personal');
    expect(await seriousAxeViolations(p)).toEqual([]);
    await screenshot(p, 'team-threads-author-laptop');

    const q = b.page;
    await go(q, 'Chat');
    const item = threadItem(q, sharedId);
    await item.waitFor({ timeout: UI });
    expect(await item.locator('[data-mark]').textContent()).toBe(`Shared by ${a.email} · read-only`);
    expect(await threads(q).locator('li.thread-item').count()).toBe(1);
    expect(await threadItem(q, privateId).count()).toBe(0);
    // Nothing to change on another's thread.
    expect(await item.getByRole('button', { name: /^(Rename|Delete|Share|Unshare) / }).count()).toBe(0);

    await item.locator('button.thread').click({ timeout: UI });
    await q.getByRole('note').filter({ hasText: `by ${a.email}` }).waitFor({ timeout: UI });
    await q.locator('.turn', { hasText: SHARED_Q }).locator('.answer').first().waitFor({ timeout: UI });
    expect(await q.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    expect(await q.getByRole('button', { name: 'Edit and resend this question' }).count()).toBe(0);
    expect(await q.getByRole('button', { name: /^(Regenerate|Retry|Good answer|Bad answer)/ }).count()).toBe(0);
    // The page holds nothing of the personal thread either.
    expect(await q.locator('body').textContent()).not.toContain(PRIVATE_Q);
    expect(await seriousAxeViolations(q)).toEqual([]);
    await screenshot(q, 'team-shared-thread-read-only-laptop');
    await q.setViewportSize(PHONE);
    expect(await seriousAxeViolations(q)).toEqual([]);
    await screenshot(q, 'team-shared-thread-read-only-phone');
    await q.setViewportSize(LAPTOP);

    // The personal thread's address opens nothing of it.
    await q.goto(`${server.baseUrl}/#/chat/${privateId}`, { timeout: UI });
    await q.getByRole('alert').filter({ hasText: 'Thread not found' }).waitFor({ timeout: UI });
    expect(await q.locator('body').textContent()).not.toContain(PRIVATE_Q);

    // Unshared again, it leaves B's list at the next load.
    await sharedItem.getByRole('button', { name: /^Unshare / }).click({ timeout: UI });
    await expect.poll(() => sharedItem.locator('[data-mark]').getAttribute('data-mark')).toBe('personal');
    await q.reload({ timeout: UI });
    await threads(q).waitFor({ timeout: UI });
    await expect.poll(() => threads(q).locator('li.thread-item').count(), { timeout: UI }).toBe(0);
  });

  it('B, removed by A, is told at once and switched to the personal workspace', { timeout: TEST }, async () => {
    const q = b.page;
    await go(q, 'Usage');
    await q.locator('[data-total="requests"]').waitFor({ timeout: UI });

    const p = a.page;
    await go(p, 'Workspaces');
    const row = p.locator(`table[aria-label="Members"] tr[data-member="${b.email}"]`);
    await row.getByRole('button', { name: `Remove ${b.email}` }).click({ timeout: UI });
    await row.getByRole('button', { name: 'Remove member' }).click({ timeout: UI });
    await row.waitFor({ state: 'detached', timeout: UI });

    await q.getByRole('status').filter({ hasText: `You no longer have access to ${TEAM}` }).waitFor({ timeout: UI });
    await expect.poll(() => shownWorkspace(q)).toMatch(/personal/i);
    expect(await switcher(q).locator('option', { hasText: TEAM }).count()).toBe(0);
    expect(await seriousAxeViolations(q)).toEqual([]);
    await screenshot(q, 'team-access-ended-laptop');
  });
});
