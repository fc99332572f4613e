import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { engineSetups } from '../../server/test/support/engines.js';
import { rest, signUp } from '../../server/test/support/rest.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { usageNdjson } from '../../server/test/support/usage-fixtures.js';
import { logInAndConnect } from './support/web-accounts.js';
import { launchChromium, requireWebBuild, screenshot } from './support/browser.js';

/**
 * The thread sidebar and the composer in Chromium (embedded engine, offline agents): rename in
 * place, delete with a confirmation, server search, Enter and Shift+Enter, the phone drawer.
 */
const UI = 10_000;
const RUN = 30_000;
const TEST = 60_000;

describe('chat sidebar and composer in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let token: string;
  /** The user's personal workspace: its id is the user's. */
  let workspace: string;

  beforeAll(async () => {
    requireWebBuild();
    [server, browser] = await Promise.all([startTestApp({ engine: engineSetups()[0]! }), launchChromium()]);
    const user = await signUp(server.baseUrl, 'sidebar');
    token = user.token;
    workspace = user.userId;
    await rest(server.baseUrl, 'POST', `/v1/workspaces/${workspace}/usage`, { token, body: usageNdjson({ seed: 31, days: 5, requestsPerDay: 30 }) });
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    await logInAndConnect(page, server.baseUrl, user.email, 'correct horse battery staple');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const threads = () => page.getByRole('navigation', { name: 'Threads' });
  const box = () => page.getByRole('textbox', { name: 'Message' });
  const turnOf = (text: string) => page.locator('.turn').filter({ has: page.locator('.bubble.user', { hasText: text }) });
  const done = (text: string) => turnOf(text).locator('.run-status', { hasText: 'Done' }).waitFor({ timeout: RUN });

  async function newThread(question: string): Promise<void> {
    await threads().getByRole('button', { name: 'New thread' }).click({ timeout: UI });
    await box().fill(question, { timeout: UI });
    await box().press('Enter', { timeout: UI });
    await done(question);
  }

  it('Enter sends, Shift+Enter starts a new line', { timeout: TEST }, async () => {
    await box().click({ timeout: UI });
    await box().pressSequentially('Where is my AI money going?', { timeout: UI });
    await box().press('Shift+Enter', { timeout: UI });
    await box().pressSequentially('By model, please.', { timeout: UI });
    expect(await box().inputValue()).toBe('Where is my AI money going?\nBy model, please.');
    expect(await page.locator('.turn').count()).toBe(0);
    await box().press('Enter', { timeout: UI });
    const bubble = page.locator('.bubble.user').first();
    await bubble.waitFor({ timeout: UI });
    expect(await bubble.textContent()).toBe('Where is my AI money going?\nBy model, please.');
    expect(await box().inputValue()).toBe('');
    await done('By model, please.');
    await page.getByRole('region', { name: 'Report' }).getByRole('img', { name: 'Cost by model per day' }).locator('.recharts-bar-rectangle').first().waitFor({ timeout: UI });
    await page.locator('.report .charts').scrollIntoViewIfNeeded();
    await screenshot(page, 'chat-report-laptop');
  });

  it('renames a thread in place: Enter saves, Escape cancels', { timeout: TEST }, async () => {
    const item = threads().locator('li').first();
    await item.getByRole('button', { name: /^Rename / }).click({ timeout: UI });
    const input = threads().getByRole('textbox', { name: /^New title for / });
    await input.fill('Monthly spend review', { timeout: UI });
    await input.press('Escape', { timeout: UI });
    expect(await item.locator('.thread-title').textContent()).not.toBe('Monthly spend review');

    await item.getByRole('button', { name: /^Rename / }).click({ timeout: UI });
    await input.fill('Monthly spend review', { timeout: UI });
    await input.press('Enter', { timeout: UI });
    await item.locator('.thread-title', { hasText: 'Monthly spend review' }).waitFor({ timeout: UI });
    const listed = await rest<{ threads: Array<{ title: string }> }>(server.baseUrl, 'GET', `/v1/workspaces/${workspace}/threads`, { token });
    expect(listed.body.threads.map((t) => t.title)).toEqual(['Monthly spend review']);
  });

  it('searches threads on the server', { timeout: TEST }, async () => {
    await newThread('How much would prompt caching save us?');
    // The list learns of the new thread from the server (thread activity), a moment after the run's card ends.
    await expect.poll(() => threads().locator('li').count(), { timeout: UI }).toBe(2);
    await threads().getByRole('searchbox', { name: 'Search threads' }).fill('spend review', { timeout: UI });
    await expect.poll(() => threads().locator('li').count(), { timeout: UI }).toBe(1);
    expect(await threads().locator('li .thread-title').textContent()).toBe('Monthly spend review');
    await threads().getByRole('searchbox', { name: 'Search threads' }).fill('no such words anywhere', { timeout: UI });
    await threads().getByText('No thread matches.').waitFor({ timeout: UI });
    await threads().getByRole('searchbox', { name: 'Search threads' }).fill('', { timeout: UI });
    await expect.poll(() => threads().locator('li').count(), { timeout: UI }).toBe(2);
  });

  it('deletes a thread after a confirmation; deleting the open one empties the chat', { timeout: TEST }, async () => {
    const open = threads().locator('li.active');
    const title = (await open.locator('.thread-title').textContent()) ?? '';
    await open.getByRole('button', { name: /^Delete / }).click({ timeout: UI });
    await open.getByRole('button', { name: 'Cancel' }).click({ timeout: UI });
    expect(await threads().locator('li').count()).toBe(2);

    await open.getByRole('button', { name: /^Delete / }).click({ timeout: UI });
    await open.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click({ timeout: UI });
    await expect.poll(() => threads().locator('li').count(), { timeout: UI }).toBe(1);
    expect(await threads().textContent()).not.toContain(title);
    await page.getByRole('heading', { name: 'Ask about your AI spend' }).waitFor({ timeout: UI });
    expect(page.url()).toMatch(/#\/chat$/);
    const listed = await rest<{ threads: Array<{ title: string }> }>(server.baseUrl, 'GET', `/v1/workspaces/${workspace}/threads`, { token });
    expect(listed.body.threads.map((t) => t.title)).toEqual(['Monthly spend review']);
  });

  it('on a phone the threads are in a drawer behind a labelled menu button', { timeout: TEST }, async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    const menu = page.getByRole('button', { name: 'Threads' });
    await menu.waitFor({ timeout: UI });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await expect.poll(() => threads().isVisible(), { timeout: UI }).toBe(false);
    await screenshot(page, 'chat-phone');

    await menu.click({ timeout: UI });
    await threads().waitFor({ state: 'visible', timeout: UI });
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('app-sidebar');
    // Focus stays in the drawer: the page behind it is inert, Tab never reaches it.
    expect(await page.locator('main').evaluate((el) => (el as HTMLElement).inert)).toBe(true);
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      const where = await page.evaluate(() => {
        const active = document.activeElement;
        return active?.closest('#app-sidebar') ? 'drawer' : active?.classList.contains('menu-button') ? 'menu' : active === document.body ? 'body' : (active?.outerHTML.slice(0, 80) ?? 'none');
      });
      expect(['drawer', 'menu', 'body']).toContain(where);
    }
    await page.locator('#app-sidebar').focus();
    await page.waitForTimeout(300); // the slide-in transition, for the picture
    await screenshot(page, 'chat-phone-drawer');
    // Escape closes it and gives the focus back to the menu button; the button opens it again.
    await page.keyboard.press('Escape');
    await expect.poll(() => threads().isVisible(), { timeout: UI }).toBe(false);
    expect(await menu.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await threads().waitFor({ state: 'visible', timeout: UI });
    await threads().locator('li button.thread').first().click({ timeout: UI });
    await done('By model, please.');
    await expect.poll(() => threads().isVisible(), { timeout: UI }).toBe(false);
    expect(await page.locator('main').evaluate((el) => (el as HTMLElement).inert)).toBe(false);
    // Nothing sticks out sideways on a phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, 'chat-phone-report');
    await page.setViewportSize({ width: 1280, height: 860 });
  });
});
