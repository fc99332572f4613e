import { waitForUpdate } from '@pydantic/genai-prices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { engineSetups } from '../../server/test/support/engines.js';
import { rest, signUp } from '../../server/test/support/rest.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { launchChromium, requireWebBuild, screenshot } from './support/browser.js';
import { logInInBrowser } from './support/web-accounts.js';

/**
 * The price list in Chromium against a real node: a member sees each model of their usage at the
 * price billed now and where it comes from (catalog version, a negotiated discount, an admin
 * override), and the catalog version in use after an admin loads a newer data file.
 */
const UI = 10_000;

describe('prices page in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let page: Page;
  let admin: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    requireWebBuild();
    [server, browser] = await Promise.all([startTestApp({ engine: engineSetups()[0]! }), launchChromium()]);
    admin = await signUp(server.baseUrl, 'prices-admin');
    const member = await signUp(server.baseUrl, 'prices-member');
    const lines = [
      { id: 'a', ts: '2026-11-20T10:00:00Z', model: 'gpt-4o', provider: 'openai', inputTokens: 1000, outputTokens: 100 },
      { id: 'b', ts: '2026-11-20T11:00:00Z', model: 'acme-9000', inputTokens: 1000, outputTokens: 100 },
      { id: 'c', ts: '2026-11-20T12:00:00Z', model: 'claude-sonnet-4-20250514', provider: 'anthropic', inputTokens: 1000, outputTokens: 100 },
    ];
    await rest(server.baseUrl, 'POST', `/v1/workspaces/${member.userId}/usage`, { token: member.token, body: lines.map((l) => JSON.stringify(l)).join('\n') });
    await rest(server.baseUrl, 'PUT', '/v1/admin/prices', { token: admin.token, json: { model: 'acme-9000', inputPerMTok: 4, outputPerMTok: 8 } });
    await rest(server.baseUrl, 'PUT', '/v1/admin/prices/discounts', { token: admin.token, json: { provider: 'openai', percent: 20 } });
    page = (await logInInBrowser(browser, server.baseUrl, member.email, 'correct horse battery staple')).page;
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const row = (model: string) => page.locator(`table[aria-label="Model prices"] tr[data-model="${model}"]`);
  const cell = (model: string, label: string) => row(model).locator(`[data-label="${label}"]`);

  it('shows each model at the price billed now and where it comes from', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Prices' }).click({ timeout: UI });
    await expect.poll(() => page.url()).toContain('#/prices');
    await row('gpt-4o').waitFor({ timeout: UI });
    expect(await page.getByTestId('catalog-line').textContent()).toContain('@pydantic/genai-prices 0.1.8');
    // $2.50 and $10 less 20%.
    expect(await cell('gpt-4o', 'Input').textContent()).toBe('$2');
    expect(await cell('gpt-4o', 'Output').textContent()).toBe('$8');
    expect(await cell('gpt-4o', 'Source').textContent()).toBe('Catalog @pydantic/genai-prices 0.1.8, 20% negotiated discount');
    expect(await cell('acme-9000', 'Input').textContent()).toBe('$4');
    expect(await cell('acme-9000', 'Source').textContent()).toBe('Admin override');
    // Anthropic's list price: $3 in, $15 out, 5-minute writes 1.25x input, 1-hour writes 2x.
    expect(await cell('claude-sonnet-4-20250514', 'Output').textContent()).toBe('$15');
    expect(await cell('claude-sonnet-4-20250514', 'Cache write 5 min').textContent()).toBe('$3.75');
    expect(await cell('claude-sonnet-4-20250514', 'Cache write 1 h').textContent()).toBe('$6');
    await screenshot(page, 'prices-page');
  });

  it('looks a model up, and shows the catalog version an admin loaded', { timeout: 60_000 }, async () => {
    await page.getByRole('textbox', { name: 'Model id' }).fill('gpt-4.1-mini');
    await page.getByRole('button', { name: 'Look up' }).click();
    await row('gpt-4.1-mini').waitFor({ timeout: UI });

    const newer = structuredClone(await waitForUpdate())!;
    newer.find((p) => p.id === 'openai')!.models.find((m) => m.id === 'gpt-4o')!.prices = { input_mtok: 5, output_mtok: 20 };
    const loaded = await rest(server.baseUrl, 'PUT', '/v1/admin/prices/catalog?version=genai-prices%202026-12-01', { token: admin.token, json: newer });
    expect(loaded.status).toBe(200);
    await page.reload();
    await row('gpt-4o').waitFor({ timeout: UI });
    expect(await page.getByTestId('catalog-line').textContent()).toContain('genai-prices 2026-12-01');
    expect(await cell('gpt-4o', 'Input').textContent()).toBe('$4');
    expect(await cell('gpt-4o', 'Source').textContent()).toBe('Catalog data genai-prices 2026-12-01 (loaded), 20% negotiated discount');
  });

  it('lets an admin preview a re-pricing of stored records, then apply it, with progress', { timeout: 90_000 }, async () => {
    const adminPage = (await logInInBrowser(browser, server.baseUrl, admin.email, 'correct horse battery staple')).page;
    await adminPage.goto(`${server.baseUrl}/#/settings`);
    const section = adminPage.getByRole('region', { name: 'Re-price stored records' });
    await section.getByRole('button', { name: 'Preview' }).click({ timeout: UI });
    const progress = section.getByTestId('reprice-progress');
    await expect.poll(() => progress.textContent(), { timeout: 30_000 }).toMatch(/^Preview done: 100% \(3 of 3 records, \d changed\)$/);
    // gpt-4o was stored at the bundled price ($2.50/$10, 20% off); the loaded file says $5/$20, 20% off.
    const gpt4o = section.locator('tr[data-model="gpt-4o"]');
    expect(await gpt4o.locator('[data-label="Changed"]').textContent()).toBe('1');
    await section.getByRole('button', { name: 'Apply these prices' }).click();
    await expect.poll(() => progress.textContent(), { timeout: 30_000 }).toMatch(/^Application done: 100%/);
    await screenshot(adminPage, 'prices-reprice-admin');
  });
});
