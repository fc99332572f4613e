import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { engineSetups } from '../../server/test/support/engines.js';
import { rest, signUp } from '../../server/test/support/rest.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { plantWorkspace } from '../../server/test/reconciliation/planted-workspace.js';
import { seriousAxeViolations } from './support/axe.js';
import { launchChromium, requireWebBuild, screenshot } from './support/browser.js';
import { logInInBrowser } from './support/web-accounts.js';

/**
 * The Reconciliation page in Chromium against a real node: logs uploaded through the API and a
 * bill stored as a connector stores it (planted differences of known size, see
 * server/test/reconciliation/planted-workspace.ts); the page shows each provider's computed,
 * billed and difference, a chart per day, the model-day lines with their causes, and the owner
 * changes the source of a provider's totals.
 */
const UI = 10_000;

describe('reconciliation page in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let page: Page;
  let owner: Awaited<ReturnType<typeof signUp>>;

  beforeAll(async () => {
    requireWebBuild();
    const webDir = process.env['TALLY_WEB_DIR'];
    [server, browser] = await Promise.all([startTestApp({ engine: engineSetups()[0]!, ...(webDir ? { env: { TALLY_WEB_DIR: webDir } } : {}) }), launchChromium()]);
    owner = await signUp(server.baseUrl, 'recon-page');
    await plantWorkspace(server.baseUrl, owner.token, server.app.services.db, owner.userId);
    page = (await logInInBrowser(browser, server.baseUrl, owner.email, 'correct horse battery staple')).page;
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const providerCell = (provider: string, label: string) => page.locator(`table[aria-label="Providers"] tr[data-provider="${provider}"] [data-label="${label}"]`);

  it('shows computed, billed and the difference per provider, a chart per day, and the causes per model-day', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Reconciliation' }).click({ timeout: UI });
    await expect.poll(() => page.url()).toContain('#/reconciliation');
    await providerCell('openai', 'Billed').waitFor({ timeout: UI });
    expect(await providerCell('openai', 'Computed').textContent()).toBe('$11.13');
    expect(await providerCell('openai', 'Billed').textContent()).toBe('$13.93');
    expect(await providerCell('openai', 'Difference').textContent()).toBe('+$2.80 (+25.13 %)');
    expect(await providerCell('anthropic', 'Difference').textContent()).toBe('-$5.00 (-55.56 %)');
    expect(await page.getByTestId('source-openai').textContent()).toBe('Bill $11.13 + logs $0.00 (automatic)');
    await page.locator('figure[data-chart-id="computed-vs-billed-openai"]').waitFor({ timeout: UI });

    const line = (day: string, model: string) => page.locator(`table[aria-label="Per model and day"] tr[data-day="${day}"][data-model="${model}"] [data-label="Causes"]`);
    expect(await line('2026-11-04', 'gpt-4o-2024-08-06').textContent()).toBe('Missing logs: 0 logged of 8 billed requests, $2.80');
    expect(await line('2026-11-02', 'gpt-mystery-1').textContent()).toBe('Unpriced model gpt-mystery-1: 5 requests, billed $1.11');
    expect(await line('2026-11-01', 'gpt-4o-2024-08-06').textContent()).toBe('Discount 10 %: -$0.35');
    expect(await line('2026-11-02', '').textContent()).toBe('Credit "Promotional credit": -$5.00');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'reconciliation-page');
  });

  it('the owner chooses the bill as the source of a provider\'s totals', { timeout: 60_000 }, async () => {
    await page.getByLabel('Source of anthropic totals').selectOption('billing');
    await expect.poll(() => page.getByTestId('source-anthropic').textContent(), { timeout: UI }).toBe('Bill (set to the bill)');
    expect(await providerCell('anthropic', 'Total counted').textContent()).toBe('$4.00');
    // The usage page's spend follows it and says where it came from.
    await page.getByRole('link', { name: 'Usage' }).click({ timeout: UI });
    const spend = page.locator('[data-total="spend"]');
    await expect.poll(() => spend.textContent(), { timeout: UI }).toContain('anthropic from its bill');
    expect(await spend.locator('.figure-value').textContent()).toBe('$15.13');
    expect(await spend.textContent()).toContain('openai bill $11.13 + logs $0.00 (logs alone: $20.13)');
    const sources = await rest<{ sources: Array<{ provider: string; setting: string }> }>(server.baseUrl, 'GET', `/v1/workspaces/${owner.userId}/usage-sources`, { token: owner.token });
    expect(sources.body.sources.find((s) => s.provider === 'anthropic')?.setting).toBe('billing');
  });
});
