import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { engineSetups } from '../../server/test/support/engines.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { usageNdjson } from '../../server/test/support/usage-fixtures.js';
import { SCREENSHOT_DIR, launchChromium, requireWebBuild } from './support/browser.js';
import { LAPTOP, PHONE, logInInBrowser, signUpInBrowser, submitLogIn, type WebAccount } from './support/web-accounts.js';
import { wholePageScreenshot } from './support/whole-page-screenshot.js';
import fs from 'node:fs/promises';

/**
 * The settings page in Chromium against a real node: the first account is the admin and sees the
 * admin sections, a second one does not; display name, API key (works, then not after revoke),
 * another device's session revoked from here, password change (then a fresh log-in with it); an admin
 * deletes a user; an account deletes itself.
 */
const UI = 10_000;
const TEST = 60_000;
const NEW_PASSWORD = 'a much longer passphrase 42';

describe('settings page in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let admin: WebAccount;
  let page: Page;

  beforeAll(async () => {
    requireWebBuild();
    [server, browser] = await Promise.all([startTestApp({ engine: engineSetups()[0]! }), launchChromium()]);
    await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
    admin = await signUpInBrowser(browser, server.baseUrl, 'admin');
    page = admin.page;
    await page.goto(`${server.baseUrl}/#/settings`, { timeout: UI });
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor({ timeout: UI });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const section = (p: Page, title: string) => p.getByRole('region', { name: title, exact: true });
  const headings = async (p: Page) => (await p.getByRole('heading', { level: 2 }).allTextContents()).map((t) => t.trim());

  /** Into the key's workspace (the admin's personal one, whose id is the switcher's first option). */
  async function postUsage(key: string): Promise<number> {
    const workspaceId = await page.getByRole('combobox', { name: 'Workspace' }).locator('option').first().getAttribute('value');
    const response = await fetch(`${server.baseUrl}/v1/workspaces/${workspaceId}/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
      body: usageNdjson({ seed: 5, days: 1, requestsPerDay: 3 }),
    });
    await response.body?.cancel();
    return response.status;
  }

  it('shows the first account, an admin, every section, the admin ones included', { timeout: TEST }, async () => {
    await section(page, 'Users').getByRole('table', { name: 'Users' }).waitFor({ timeout: UI });
    expect(await headings(page)).toEqual(
      expect.arrayContaining(['Profile', 'Password', 'Sessions', 'Delete account', 'Users', 'Price overrides', 'LLM configuration', 'Audit log']),
    );
    const self = section(page, 'Users').locator(`tr[data-user-email="${admin.email}"]`);
    expect(await self.getByRole('combobox').inputValue()).toBe('admin');
    // The key of the LLM is write-only: only whether it is set.
    expect(await section(page, 'LLM configuration').textContent()).not.toMatch(/sk-|tally_/);
    await section(page, 'Audit log').getByRole('cell', { name: 'auth.signup' }).first().waitFor({ timeout: UI });
  });

  it('changes the display name, shown by the shell and kept after a reload', { timeout: TEST }, async () => {
    const profile = section(page, 'Profile');
    expect(await profile.getByLabel('Email').inputValue()).toBe(admin.email);
    await profile.getByLabel('Display name').fill('Ada Admin', { timeout: UI });
    await profile.getByRole('button', { name: 'Save profile' }).click({ timeout: UI });
    await profile.getByRole('status').filter({ hasText: 'Saved.' }).waitFor({ timeout: UI });
    await page.getByRole('banner').getByText('Ada Admin').waitFor({ timeout: UI });
    await page.reload({ timeout: UI });
    await expect.poll(() => section(page, 'Profile').getByLabel('Display name').inputValue(), { timeout: UI }).toBe('Ada Admin');
  });

  it("creates an API key of the personal workspace (under Workspaces) shown once, which works until it is revoked", { timeout: TEST }, async () => {
    // Settings points to where keys are now: each workspace's page.
    await page.getByTestId('api-keys-moved').getByRole('link', { name: 'Workspaces' }).click({ timeout: UI });
    const keys = section(page, 'API keys');
    await keys.getByLabel('Key name').fill('nightly export', { timeout: UI });
    await keys.getByLabel('Scope').selectOption('usage:write', { timeout: UI });
    await keys.getByRole('button', { name: 'Create key' }).click({ timeout: UI });
    const shown = keys.getByRole('region', { name: 'API key “nightly export”' });
    await shown.waitFor({ timeout: UI });
    expect(await shown.textContent()).toContain('only time');
    const key = await shown.getByRole('textbox').inputValue();
    expect(key).toMatch(/^tally_/);
    await shown.getByRole('button', { name: 'Copy' }).waitFor({ timeout: UI });
    expect(await postUsage(key)).toBe(200);

    await shown.getByRole('button', { name: 'Done' }).click({ timeout: UI });
    const row = keys.getByRole('row').filter({ hasText: 'nightly export' });
    await row.waitFor({ timeout: UI });
    expect(await page.locator('body').textContent()).not.toContain(key);
    expect(await row.textContent()).toContain(key.slice(0, 14));
    await page.reload({ timeout: UI });
    expect(await page.locator('body').textContent()).not.toContain(key);

    await section(page, 'API keys').getByRole('button', { name: 'Revoke key nightly export' }).click({ timeout: UI });
    await section(page, 'API keys').getByRole('button', { name: 'Revoke key', exact: true }).click({ timeout: UI });
    await section(page, 'API keys').getByText('No API key yet.').waitFor({ timeout: UI });
    expect(await postUsage(key)).toBe(401);
    await page.goto(`${server.baseUrl}/#/settings`, { timeout: UI });
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor({ timeout: UI });
  });

  it("revokes another device's session, which is signed out", { timeout: TEST }, async () => {
    const other = await logInInBrowser(browser, server.baseUrl, admin.email, admin.password);
    const sessions = section(page, 'Sessions');
    await sessions.getByRole('button', { name: 'Refresh' }).click({ timeout: UI });
    await expect.poll(() => sessions.locator('tbody tr').count(), { timeout: UI }).toBe(2);
    expect(await sessions.locator('tr.current').textContent()).toContain('this device');

    await sessions.getByRole('button', { name: /^Revoke the session/ }).click({ timeout: UI });
    await sessions.getByRole('button', { name: 'Revoke', exact: true }).click({ timeout: UI });
    await expect.poll(() => sessions.locator('tbody tr').count(), { timeout: UI }).toBe(1);
    // Its socket is closed by the server: the other tab is back at the log-in form.
    await other.page.getByRole('tab', { name: 'Log in' }).waitFor({ timeout: UI });
    await other.context.close();
    // This device still works.
    await section(page, 'Sessions').getByRole('button', { name: 'Refresh' }).click({ timeout: UI });
    await expect.poll(() => section(page, 'Sessions').locator('tbody tr').count(), { timeout: UI }).toBe(1);
  });

  it('signs out all other sessions at once, each named by browser and system, this one kept', { timeout: TEST }, async () => {
    const others = [await logInInBrowser(browser, server.baseUrl, admin.email, admin.password), await logInInBrowser(browser, server.baseUrl, admin.email, admin.password)];
    const sessions = section(page, 'Sessions');
    await sessions.getByRole('button', { name: 'Refresh' }).click({ timeout: UI });
    await expect.poll(() => sessions.locator('tbody tr').count(), { timeout: UI }).toBe(3);
    // Bowser's name for Debian's headless Chromium, not the raw user agent.
    expect(await sessions.locator('tr.current td.device').textContent()).toMatch(/^Chrome \d+ on Linux/);

    await sessions.getByRole('button', { name: 'Sign out all other sessions' }).click({ timeout: UI });
    await sessions.getByRole('button', { name: 'Sign them out' }).click({ timeout: UI });
    await sessions.getByRole('status').filter({ hasText: '2 other sessions were signed out.' }).waitFor({ timeout: UI });
    await expect.poll(() => sessions.locator('tbody tr').count(), { timeout: UI }).toBe(1);
    for (const other of others) {
      await other.page.getByRole('tab', { name: 'Log in' }).waitFor({ timeout: UI });
      await other.context.close();
    }
    expect(await sessions.getByRole('button', { name: 'Sign out all other sessions' }).count()).toBe(0);
  });

  it("changes the password, showing the server's refusals, then logs in with the new one", { timeout: TEST }, async () => {
    const password = section(page, 'Password');
    const change = async (current: string, next: string, confirm = next) => {
      await password.getByLabel('Current password').fill(current, { timeout: UI });
      await password.getByLabel('New password', { exact: true }).fill(next, { timeout: UI });
      await password.getByLabel('Confirm new password').fill(confirm, { timeout: UI });
      await password.getByRole('button', { name: 'Change password' }).click({ timeout: UI });
    };
    await change(admin.password, 'qwertyuiop');
    await password.getByRole('alert').filter({ hasText: 'most common' }).waitFor({ timeout: UI });
    await change('not my password at all', NEW_PASSWORD);
    await password.getByRole('alert').filter({ hasText: 'wrong' }).waitFor({ timeout: UI });
    await change(admin.password, NEW_PASSWORD, `${NEW_PASSWORD}!`);
    await password.getByRole('alert').filter({ hasText: 'differ' }).waitFor({ timeout: UI });
    await change(admin.password, NEW_PASSWORD);
    await password.getByRole('status').filter({ hasText: 'Password changed' }).waitFor({ timeout: UI });

    const fresh = await logInInBrowser(browser, server.baseUrl, admin.email, NEW_PASSWORD);
    await fresh.context.close();
    const context = await browser.newContext({ viewport: LAPTOP });
    const old = await context.newPage();
    await old.goto(server.baseUrl, { timeout: UI });
    await submitLogIn(old, admin.email, admin.password);
    await old.getByRole('alert').filter({ hasText: 'wrong' }).waitFor({ timeout: UI });
    await context.close();
  });

  it('shows a member no admin section, and the admin sees the member', { timeout: TEST }, async () => {
    const member = await signUpInBrowser(browser, server.baseUrl, 'member');
    await member.page.goto(`${server.baseUrl}/#/settings`, { timeout: UI });
    await section(member.page, 'Delete account').waitFor({ timeout: UI });
    const seen = await headings(member.page);
    expect(seen).toEqual(expect.arrayContaining(['Profile', 'Password', 'Sessions', 'Delete account']));
    for (const admin of ['Users', 'Price overrides', 'LLM configuration', 'Audit log']) expect(seen).not.toContain(admin);
    await member.context.close();

    await page.reload({ timeout: UI });
    const row = section(page, 'Users').locator(`tr[data-user-email="${member.email}"]`);
    await row.waitFor({ timeout: UI });
    expect(await row.getByRole('combobox').inputValue()).toBe('member');
  });

  it('creates a user from the admin page, with a one-time token to set their password; the audit names them', { timeout: TEST }, async () => {
    const users = section(page, 'Users');
    const email = `made-${process.pid}@example.com`;
    const form = users.getByRole('form', { name: 'Create a user' });
    await form.getByLabel("New user's email").fill(email, { timeout: UI });
    await form.getByRole('button', { name: 'Create user' }).click({ timeout: UI });
    const secret = users.getByRole('region', { name: `Password reset token for ${email}` });
    const token = await secret.getByRole('textbox').inputValue({ timeout: UI });
    expect(token.length).toBeGreaterThan(20);
    await users.locator(`tr[data-user-email="${email}"]`).waitFor({ timeout: UI });
    // The token sets the new user's password.
    const reset = await fetch(`${server.baseUrl}/v1/auth/reset-password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password: 'made by the admin, set by me' }) });
    expect(reset.status).toBe(200);
    await secret.getByRole('button', { name: 'Done' }).click({ timeout: UI });
    // The audit log names the new user by email, not by id.
    await page.reload({ timeout: UI });
    const audit = section(page, 'Audit log');
    await expect.poll(() => audit.locator('tr', { hasText: 'user.created' }).first().textContent(), { timeout: UI }).toContain(email);
  });

  it('tests the LLM connection and says what came of it (no LLM configured here)', { timeout: TEST }, async () => {
    const llm = section(page, 'LLM configuration');
    await llm.getByRole('button', { name: 'Test connection' }).click({ timeout: UI });
    await expect.poll(() => llm.getByTestId('llm-test-result').textContent(), { timeout: UI }).toContain('No LLM is configured');
  });

  it('deletes a user from the admin page after a confirmation; the audit says so', { timeout: TEST }, async () => {
    const users = section(page, 'Users');
    const email = `made-${process.pid}@example.com`; // made by the test above
    const row = users.locator(`tr[data-user-email="${email}"]`);
    await row.getByRole('button', { name: `Delete ${email}` }).click({ timeout: UI });
    await row.getByRole('button', { name: 'Delete user' }).click({ timeout: UI });
    await row.waitFor({ state: 'detached', timeout: UI });
    // No delete button on one's own row: that is the account's own section.
    expect(await users.locator(`tr[data-user-email="${admin.email}"]`).getByRole('button', { name: /^Delete/ }).count()).toBe(0);
    await page.reload({ timeout: UI });
    await expect.poll(() => section(page, 'Audit log').locator('tr', { hasText: 'user.deleted' }).first().textContent(), { timeout: UI }).toContain(email);
  });

  it('deletes its own account with the password, confirmed, then shows the sign-in page; the account no longer logs in', { timeout: TEST }, async () => {
    const leaving = await signUpInBrowser(browser, server.baseUrl, 'leaving');
    const p = leaving.page;
    await p.goto(`${server.baseUrl}/#/settings`, { timeout: UI });
    const form = section(p, 'Delete account').getByRole('form', { name: 'Delete account' });
    await form.getByLabel('Password').fill('not my password', { timeout: UI });
    await form.getByRole('button', { name: 'Delete account…' }).click({ timeout: UI });
    await form.getByRole('button', { name: 'Delete my account' }).click({ timeout: UI });
    expect(await form.getByRole('alert').textContent({ timeout: UI })).toMatch(/password/i);
    await form.getByLabel('Password').fill(leaving.password, { timeout: UI });
    await form.getByRole('button', { name: 'Delete account…' }).click({ timeout: UI });
    await form.getByRole('button', { name: 'Delete my account' }).click({ timeout: UI });
    await p.getByText('Your account was deleted.').waitFor({ timeout: UI });
    await p.getByRole('tab', { name: 'Log in' }).waitFor({ timeout: UI });
    await submitLogIn(p, leaving.email, leaving.password);
    await p.getByRole('alert').waitFor({ timeout: UI });
    expect(await p.getByRole('button', { name: 'Log out' }).count()).toBe(0);
    await leaving.context.close();
  });

  it('takes screenshots of the settings on a laptop and a phone', { timeout: TEST }, async () => {
    await page.setViewportSize(LAPTOP);
    await section(page, 'Users').getByRole('table').waitFor({ timeout: UI });
    await wholePageScreenshot(page, 'settings-laptop');
    await page.setViewportSize(PHONE);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await wholePageScreenshot(page, 'settings-phone');
    await page.setViewportSize(LAPTOP);
  });
});
