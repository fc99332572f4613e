import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { engineSetups } from '../../server/test/support/engines.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import type { FakeAdminApi } from '../../server/test/connectors/fake-admin-api-server.js';
import { openAiCost, openAiUsage, startFakeOpenAiAdminApi } from '../../server/test/connectors/fake-openai-admin-api.js';
import { launchChromium, requireWebBuild } from './support/browser.js';
import { signUpInBrowser, type WebAccount } from './support/web-accounts.js';

/**
 * The Connectors section of the workspace page in Chromium, against a real node whose OpenAI
 * connector talks to the fake admin API: a wrong key shows the provider's refusal as the last
 * error; the right key syncs (last success, synced through today); "Sync now" syncs again with
 * the provider's new figures; the key is never shown back; Remove takes the connector away.
 */
const UI = 15_000;
const TEST = 90_000;

describe('provider connectors in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let fake: FakeAdminApi;
  let owner: WebAccount;
  const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000).toISOString().slice(0, 10);

  beforeAll(async () => {
    requireWebBuild();
    fake = await startFakeOpenAiAdminApi();
    fake.keys.add('sk-admin-browser-GOOD');
    fake.usage.set(today, [openAiUsage({ model: 'gpt-4o', input: 100, output: 10, requests: 1 })]);
    fake.costs.set(today, [openAiCost({ usd: 0.1, lineItem: 'gpt-4o, input' })]);
    [server, browser] = await Promise.all([
      startTestApp({ engine: engineSetups()[0]!, env: { TALLY_CONNECTOR_OPENAI_BASE_URL: fake.url, TALLY_CONNECTOR_TICK_MS: '200' } }),
      launchChromium(),
    ]);
    owner = await signUpInBrowser(browser, server.baseUrl, 'connectors-owner');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fake?.close();
  });

  const section = (p: Page) => p.locator('section[aria-labelledby="connectors-title"]');
  const openAi = (p: Page) => section(p).locator('li.connector[data-provider="openai"]');

  async function saveKey(p: Page, key: string): Promise<void> {
    const form = p.getByRole('form', { name: 'Add a provider connector' });
    await form.getByLabel('Provider').selectOption('openai', { timeout: UI });
    await form.getByLabel('Admin key').fill(key, { timeout: UI });
    await form.getByLabel('Backfill days').fill('7', { timeout: UI });
    await form.getByRole('button', { name: 'Save connector' }).click({ timeout: UI });
  }

  it('shows a refused key as the last error, then syncs with the right one, and syncs again on demand', { timeout: TEST }, async () => {
    const p = owner.page;
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workspaces' }).click({ timeout: UI });
    await section(p).getByText('No connector yet.').waitFor({ timeout: UI });

    await saveKey(p, 'sk-admin-browser-WRONG');
    await openAi(p).getByTestId('connector-state').filter({ hasText: 'CONNECTOR_KEY_REJECTED' }).waitFor({ timeout: UI });
    expect(await openAi(p).getByTestId('last-success').textContent()).toBe('never');

    await saveKey(p, 'sk-admin-browser-GOOD');
    await openAi(p).getByTestId('connector-state').filter({ hasText: /^Synced$/ }).waitFor({ timeout: UI });
    expect(await openAi(p).getByTestId('synced-through').textContent()).toBe(today);
    // Only the last 4 characters, never the key.
    await expect.poll(() => openAi(p).textContent()).toContain('…GOOD');
    expect(await p.content()).not.toContain('sk-admin-browser');

    const syncs = () => fake.requests.filter((r) => r.path === '/v1/organization/usage/completions' && r.key === 'sk-admin-browser-GOOD').length;
    const before = syncs();
    await openAi(p).getByRole('button', { name: 'Sync now' }).click({ timeout: UI });
    await expect.poll(syncs, { timeout: UI }).toBeGreaterThan(before);
    await openAi(p).getByTestId('connector-state').filter({ hasText: /^Synced$/ }).waitFor({ timeout: UI });
  });

  it('removes the connector', { timeout: TEST }, async () => {
    const p = owner.page;
    await openAi(p).getByRole('button', { name: 'Remove the OpenAI connector' }).click({ timeout: UI });
    await openAi(p).getByRole('button', { name: 'Remove connector' }).click({ timeout: UI });
    await section(p).getByText('No connector yet.').waitFor({ timeout: UI });
  });
});
