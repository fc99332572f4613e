import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { engineSetups } from '../../server/test/support/engines.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { seriousAxeViolations } from './support/axe.js';
import { launchChromium, requireWebBuild } from './support/browser.js';
import { LAPTOP, PHONE, signUpInBrowser, type WebAccount } from './support/web-accounts.js';
import { wholePageScreenshot } from './support/whole-page-screenshot.js';

/**
 * Workspaces in Chromium against a real node: an owner makes a team workspace and an invitation
 * link; a colleague, signed out in another browser context, opens the link, signs up and accepts;
 * both see the members with their roles; made a viewer, the colleague is offered no management.
 */
const UI = 10_000;
const TEST = 60_000;
const TEAM = 'Platform team';

describe('workspaces in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let owner: WebAccount;
  let colleague: Page;
  const colleagueEmail = `ws-colleague-${process.pid}-${Date.now()}@example.com`;

  beforeAll(async () => {
    requireWebBuild();
    [server, browser] = await Promise.all([startTestApp({ engine: engineSetups()[0]! }), launchChromium()]);
    owner = await signUpInBrowser(browser, server.baseUrl, 'ws-owner');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const memberRow = (page: Page, email: string) => page.locator(`table[aria-label="Members"] tr[data-member="${email}"]`);
  const roleOf = (page: Page, email: string) => memberRow(page, email).locator('td[data-role]').getAttribute('data-role', { timeout: UI });

  it('invites a colleague by link, who signs up through it and joins; both see the members with roles', { timeout: TEST }, async () => {
    const page = owner.page;
    await page.getByRole('link', { name: 'Workspaces' }).click({ timeout: UI });
    await page.getByRole('heading', { name: 'Workspaces', level: 1 }).waitFor({ timeout: UI });
    await page.getByLabel('Workspace name').fill(TEAM, { timeout: UI });
    await page.getByRole('button', { name: 'Create workspace' }).click({ timeout: UI });
    await page.getByRole('heading', { name: TEAM, level: 2 }).waitFor({ timeout: UI });
    expect(await roleOf(page, owner.email)).toBe('owner');
    const workspaceUrl = page.url();
    expect(workspaceUrl).toMatch(/#\/workspaces\/[0-9a-f-]{36}$/);

    // A link, not mailed (no SMTP here): shown once, for a member, with the default week.
    await page.getByRole('button', { name: 'Create link' }).click({ timeout: UI });
    const link = await page.getByLabel('Invitation link, secret').inputValue({ timeout: UI });
    const url = new URL(link);
    expect(url.pathname).toBe('/join');
    expect(url.hash).toMatch(/^#invitation=twi_/);
    await expect.poll(() => page.locator('table[aria-label="Invitations"] td[data-label="Status"]').allTextContents()).toEqual(['pending']);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await wholePageScreenshot(page, 'workspaces-owner-laptop');

    // The colleague opens the link signed out (the server's public address may differ from the test's).
    const context = await browser.newContext({ viewport: LAPTOP });
    colleague = await context.newPage();
    await colleague.goto(`${server.baseUrl}${url.pathname}${url.hash}`, { timeout: UI });
    await colleague.getByText('You were invited to a workspace').waitFor({ timeout: UI });
    expect(colleague.url()).not.toContain('twi_'); // out of the address bar and history
    await colleague.getByRole('tab', { name: 'Sign up' }).click({ timeout: UI });
    await colleague.getByLabel('Email').fill(colleagueEmail, { timeout: UI });
    await colleague.getByLabel('Password').fill('correct horse battery staple', { timeout: UI });
    await colleague.getByRole('button', { name: 'Create account' }).click({ timeout: UI });
    await colleague.getByRole('heading', { name: 'Join a workspace' }).waitFor({ timeout: UI });
    expect(await seriousAxeViolations(colleague)).toEqual([]);
    await colleague.getByRole('button', { name: 'Accept invitation' }).click({ timeout: UI });
    await colleague.getByText(`You joined ${TEAM} as member`).waitFor({ timeout: UI });
    await colleague.getByRole('link', { name: `Open ${TEAM}` }).click({ timeout: UI });
    await colleague.getByRole('heading', { name: TEAM, level: 2 }).waitFor({ timeout: UI });
    expect(await roleOf(colleague, owner.email)).toBe('owner');
    expect(await roleOf(colleague, colleagueEmail)).toBe('member');

    await page.reload({ timeout: UI });
    expect(await roleOf(page, colleagueEmail)).toBe('member');
    expect(await roleOf(page, owner.email)).toBe('owner');
    await expect.poll(() => page.locator('table[aria-label="Invitations"] td[data-label="Status"]').allTextContents()).toEqual(['accepted']);
    // The link is single-use: opening it again is refused in words, and the page lets the spent token go.
    await colleague.goto(`${server.baseUrl}${url.pathname}${url.hash}`, { timeout: UI });
    await colleague.getByRole('button', { name: 'Accept invitation' }).click({ timeout: UI });
    expect(await colleague.getByRole('alert').textContent({ timeout: UI })).toContain('invalid, used, revoked or expired');
    expect(await colleague.getByRole('button', { name: 'Accept invitation' }).count()).toBe(0);
  });

  it('offers a viewer no management, and the owner every action on others', { timeout: TEST }, async () => {
    const page = owner.page;
    // The owner lowers the colleague to viewer, with the change applied only on the button.
    await page.getByLabel(`Role of ${colleagueEmail}`).selectOption('viewer', { timeout: UI });
    await page.getByRole('button', { name: 'Change role' }).click({ timeout: UI });
    await page.getByText(`${colleagueEmail} is now viewer.`).waitFor({ timeout: UI });
    await expect.poll(() => roleOf(page, colleagueEmail)).toBe('viewer');
    const ownerRow = memberRow(page, colleagueEmail);
    expect(await ownerRow.getByRole('button', { name: `Remove ${colleagueEmail}` }).count()).toBe(1);
    expect(await ownerRow.getByRole('button', { name: `Hand over to ${colleagueEmail}` }).count()).toBe(1);
    await page.getByRole('heading', { name: 'Workspace audit log' }).waitFor({ timeout: UI });
    await expect.poll(() => page.locator('table[aria-label="Audit events"] td[data-label="Action"]').allTextContents()).toContain('workspace.member_role_changed');

    await colleague.goto(`${server.baseUrl}/#/workspaces`, { timeout: UI });
    await colleague.getByRole('link', { name: new RegExp(TEAM) }).click({ timeout: UI });
    await colleague.getByRole('heading', { name: TEAM, level: 2 }).waitFor({ timeout: UI });
    expect(await roleOf(colleague, colleagueEmail)).toBe('viewer');
    expect(await colleague.getByTestId('my-role').textContent()).toContain('Viewer');
    // No role pickers, no remove or handover, no invitations, no audit log: only leaving.
    expect(await colleague.locator('table[aria-label="Members"] select').count()).toBe(0);
    expect(await colleague.getByRole('button', { name: /^(Remove|Hand over)/ }).count()).toBe(0);
    expect(await colleague.getByRole('heading', { name: 'Invitations' }).count()).toBe(0);
    expect(await colleague.getByRole('heading', { name: 'Workspace audit log' }).count()).toBe(0);
    expect(await colleague.getByRole('button', { name: `Leave ${TEAM}` }).count()).toBe(1);
    expect(await seriousAxeViolations(colleague)).toEqual([]);
    await wholePageScreenshot(colleague, 'workspaces-viewer-laptop');

    // The confirmation takes keyboard focus to Cancel: Enter there leaves nothing.
    await colleague.getByRole('button', { name: `Leave ${TEAM}` }).focus();
    await colleague.keyboard.press('Enter');
    expect(await colleague.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await colleague.keyboard.press('Enter');
    expect(await roleOf(colleague, colleagueEmail)).toBe('viewer');

    for (const p of [page, colleague]) await p.setViewportSize(PHONE);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await wholePageScreenshot(page, 'workspaces-owner-phone');
    await wholePageScreenshot(colleague, 'workspaces-viewer-phone');
  });
});
