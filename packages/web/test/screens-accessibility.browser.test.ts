import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { engineSetups } from '../../server/test/support/engines.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { usageNdjson } from '../../server/test/support/usage-fixtures.js';
import { seriousAxeViolations } from './support/axe.js';
import { launchChromium, requireWebBuild } from './support/browser.js';
import { signUpInBrowser } from './support/web-accounts.js';
import { wholePageScreenshot } from './support/whole-page-screenshot.js';

/**
 * Every main screen (sign-in, chat, usage with its upload and dashboard, prices, settings with
 * the admin sections, workspaces with the API keys) on a laptop (1366x768) and a phone (390x844): axe-core finds no serious or
 * critical violation; the keyboard reaches the controls with a visible focus ring; on the phone
 * the header is one row, nothing scrolls the page sideways (wide tables scroll in their card)
 * and no figure breaks across lines; the last card of the usage page is not cut off. A
 * screenshot of each screen at each size goes to test-artifacts/screenshots.
 */
const UI = 15_000;
const TEST = 120_000;

const VIEWPORTS = { laptop: { width: 1366, height: 768 }, phone: { width: 390, height: 844 } } as const;
type ViewportName = keyof typeof VIEWPORTS;

const SCREENS: Array<{ name: string; hash: string; ready: (page: Page) => Promise<unknown> }> = [
  { name: 'chat', hash: '#/chat', ready: (p) => p.getByRole('textbox', { name: /question|message|ask/i }).first().waitFor({ timeout: UI }) },
  { name: 'usage', hash: '#/usage', ready: (p) => p.getByRole('heading', { name: 'Requests' }).waitFor({ timeout: UI }) },
  { name: 'prices', hash: '#/prices', ready: (p) => p.getByRole('heading', { level: 1 }).waitFor({ timeout: UI }) },
  { name: 'settings-admin', hash: '#/settings', ready: (p) => p.getByRole('heading', { name: 'Audit log' }).waitFor({ timeout: UI }) },
  { name: 'workspaces', hash: '#/workspaces', ready: (p) => p.getByRole('heading', { name: 'API keys' }).waitFor({ timeout: UI }) },
];

/** Tabs through the page; each focused control must show a focus ring (outline or box shadow). */
async function focusWithoutRing(page: Page, presses: number): Promise<string[]> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const bad: string[] = [];
  let reached = 0;
  for (let i = 0; i < presses; i += 1) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
      return { ring, what: `${el.tagName.toLowerCase()} ${el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 30) ?? ''}` };
    });
    if (!focus) continue;
    reached += 1;
    if (!focus.ring) bad.push(focus.what);
  }
  if (reached === 0) bad.push('the keyboard reached no control');
  return bad;
}

/** What breaks the phone layout: a header on two rows, sideways page scroll, a figure on two lines. */
async function phoneLayoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const bar = document.querySelector<HTMLElement>('.topbar');
    if (bar) {
      const tops = new Set([...bar.querySelectorAll<HTMLElement>('a, button')].filter((e) => e.offsetParent !== null).map((e) => Math.round(e.getBoundingClientRect().top / 8)));
      if (tops.size > 1) problems.push(`the header has ${tops.size} rows`);
    }
    for (const scroller of [document.documentElement, document.querySelector<HTMLElement>('.main')]) {
      if (scroller && scroller.scrollWidth > scroller.clientWidth + 1) problems.push(`${scroller.className || 'the page'} scrolls sideways (${scroller.scrollWidth} > ${scroller.clientWidth})`);
    }
    for (const cell of document.querySelectorAll<HTMLElement>('td.num, .figure-value')) {
      const range = document.createRange();
      range.selectNodeContents(cell);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (lines.size > 1) problems.push(`"${cell.textContent}" breaks across ${lines.size} lines`);
    }
    return problems;
  });
}

describe('main screens: accessibility, keyboard, phone layout, screenshots', () => {
  let server: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    requireWebBuild();
    [server, browser] = await Promise.all([startTestApp({ engine: engineSetups()[0]! }), launchChromium()]);
    // The first account is the admin: the settings page shows the admin sections too.
    const admin = await signUpInBrowser(browser, server.baseUrl, 'screens');
    page = admin.page;
    const { token, userId } = await page.evaluate(async () => {
      const answer = await fetch('/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const body = (await answer.json()) as { accessToken: string; user: { id: string } };
      return { token: body.accessToken, userId: body.user.id };
    });
    // Into the personal workspace, whose id is the user's.
    const upload = await fetch(`${server.baseUrl}/v1/workspaces/${userId}/usage`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body: usageNdjson({ seed: 5, days: 14, requestsPerDay: 30 }) });
    expect(upload.status).toBe(200);
  }, TEST);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the sign-in screen: no serious violation, keyboard focus visible, one-row phone layout', { timeout: TEST }, async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS.laptop });
    const signIn = await context.newPage();
    try {
      for (const [size, viewport] of Object.entries(VIEWPORTS) as Array<[ViewportName, (typeof VIEWPORTS)[ViewportName]]>) {
        await signIn.setViewportSize(viewport);
        await signIn.goto(server.baseUrl, { timeout: UI });
        await signIn.getByRole('tab', { name: 'Log in' }).waitFor({ timeout: UI });
        expect(await seriousAxeViolations(signIn), size).toEqual([]);
        expect(await focusWithoutRing(signIn, 6), size).toEqual([]);
        if (size === 'phone') expect(await phoneLayoutProblems(signIn)).toEqual([]);
        await wholePageScreenshot(signIn, `screen-sign-in-${size}`);
      }
    } finally {
      await context.close();
    }
  });

  for (const screen of SCREENS) {
    it(`${screen.name}: no serious violation, keyboard focus visible, phone layout holds`, { timeout: TEST }, async () => {
      for (const [size, viewport] of Object.entries(VIEWPORTS) as Array<[ViewportName, (typeof VIEWPORTS)[ViewportName]]>) {
        await page.setViewportSize(viewport);
        await page.goto(`${server.baseUrl}/${screen.hash}`, { timeout: UI });
        await screen.ready(page);
        expect(await seriousAxeViolations(page), `${screen.name} on a ${size}`).toEqual([]);
        expect(await focusWithoutRing(page, 8), `${screen.name} on a ${size}`).toEqual([]);
        if (size === 'phone') expect(await phoneLayoutProblems(page), screen.name).toEqual([]);
        await wholePageScreenshot(page, `screen-${screen.name}-${size}`);
      }
    });
  }

  it('usage: the last card ends inside the page, and every view has its CSV', { timeout: TEST }, async () => {
    await page.setViewportSize(VIEWPORTS.laptop);
    await page.goto(`${server.baseUrl}/#/usage`, { timeout: UI });
    await page.getByRole('heading', { name: 'Requests' }).waitFor({ timeout: UI });
    await page.getByRole('heading', { name: 'Spend by user or key' }).waitFor({ timeout: UI });
    const gap = await page.evaluate(() => {
      const main = document.querySelector<HTMLElement>('.main')!;
      main.scrollTop = main.scrollHeight;
      const cards = [...document.querySelectorAll<HTMLElement>('.usage-page .card, .usage-page .chart-card')];
      const last = Math.max(...cards.map((c) => c.getBoundingClientRect().bottom));
      return main.getBoundingClientRect().bottom - last;
    });
    expect(gap).toBeGreaterThanOrEqual(8);
    const csv = await page.getByRole('button', { name: /as CSV$/ }).evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')));
    expect(csv).toEqual(
      expect.arrayContaining([
        'Download spend by day and model as CSV',
        'Download spend by model as CSV',
        'Download spend by feature as CSV',
        'Download spend by provider as CSV',
        'Download latency by model as CSV',
        'Download spend by user or key as CSV',
        'Download this page of requests as CSV',
      ]),
    );
  });
});
