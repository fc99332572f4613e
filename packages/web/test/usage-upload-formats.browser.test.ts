import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { engineSetups } from '../../server/test/support/engines.js';
import { rest } from '../../server/test/support/rest.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { launchChromium, requireWebBuild } from './support/browser.js';
import { signUpInBrowser, type WebAccount } from './support/web-accounts.js';

/**
 * The upload card's format picker and CSV column mapping in Chromium against a real node: a CSV
 * no format knows is refused with the formats tried and why, its columns are mapped in the form
 * (which says what is still missing), and the upload goes in with the mapping; a picked format is
 * sent with the upload; a gzipped file is read as its content.
 */
const UI = 10_000;
const TEST = 60_000;
const docs = path.resolve(import.meta.dirname, '../../../docs/formats');

/** A spreadsheet export with its own column names: no format knows them. */
const ROWS = [
  ['2026-11-20T10:00:00Z', 'gpt-4o-mini', '1200', '80'],
  ['2026-11-20T10:05:00Z', 'gpt-4o-mini', '900', '40'],
  ['2026-11-20T11:00:00Z', 'gpt-4.1', '5000', '700'],
];
const SHEET = `When,Engine,Tokens sent,Tokens back\n${ROWS.map((r) => r.join(',')).join('\n')}\n`;

describe('upload: format picker and CSV column mapping in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let files: string;
  let user: WebAccount;
  let page: Page;

  beforeAll(async () => {
    requireWebBuild();
    [server, browser] = await Promise.all([startTestApp({ engine: engineSetups()[0]! }), launchChromium()]);
    files = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-web-formats-'));
    user = await signUpInBrowser(browser, server.baseUrl, 'upload-formats');
    page = user.page;
    await page.goto(`${server.baseUrl}/#/usage`, { timeout: UI });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (files) await fs.rm(files, { recursive: true, force: true });
  });

  const card = () => page.getByRole('region', { name: 'Upload usage data' });
  const picker = () => card().getByLabel('Format');
  /** Records stored for the user, read over REST with their own token. */
  const records = async () => {
    const login = await rest(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: user.email, password: user.password } });
    const { accessToken: token, user: who } = login.body as { accessToken: string; user: { id: string } };
    // The personal workspace's, whose id is the user's.
    return ((await rest(server.baseUrl, 'GET', `/v1/workspaces/${who.id}/usage/overview`, { token })).body as { records: number }).records;
  };
  async function pick(name: string, content: string | Buffer): Promise<void> {
    const file = path.join(files, name);
    await fs.writeFile(file, content);
    await card().locator('input[type=file]').setInputFiles(file, { timeout: UI });
  }

  it('detects by default; a CSV no format knows is refused naming the formats tried, then mapped and read', { timeout: TEST }, async () => {
    expect(await picker().inputValue()).toBe('');
    await pick('sheet.csv', SHEET);
    const alert = card().getByRole('alert');
    await alert.waitFor({ timeout: UI });
    expect(await alert.textContent()).toContain('USAGE_FORMAT_UNKNOWN');
    await alert.getByText('Formats tried').click();
    const tried = alert.locator('.formats-tried li');
    expect(await tried.count()).toBe(14);
    expect(await alert.locator('.formats-tried').textContent()).toMatch(/Cursor usage CSV: looks for a Cursor export header/);
    expect(await alert.locator('.formats-tried').textContent()).toMatch(/Codex CLI rollouts: reads JSON; this is CSV/);

    const form = card().getByRole('form', { name: 'CSV column mapping' });
    await form.waitFor({ timeout: UI });
    const submit = form.getByRole('button', { name: 'Upload with this mapping' });
    expect(await submit.isDisabled()).toBe(true);
    expect(await form.getByRole('status').textContent()).toContain('Still needed: Time, Model, Output tokens, Input tokens');
    await form.getByLabel('Field for column When').selectOption('ts');
    await form.getByLabel('Field for column Engine').selectOption('model');
    await form.getByLabel('Field for column Tokens sent').selectOption('totalInputTokens');
    expect(await form.getByRole('status').textContent()).toContain('Still needed: Output tokens');
    // A field already taken cannot be picked for a second column.
    expect(await form.getByLabel('Field for column Tokens back').locator('option[value="model"]').isDisabled()).toBe(true);
    await form.getByLabel('Field for column Tokens back').selectOption('outputTokens');

    const request = page.waitForRequest((r) => /\/v1\/workspaces\/[^/]+\/usage\?/.test(r.url()) && r.method() === 'POST');
    await submit.click();
    const sent = new URL((await request).url());
    expect(JSON.parse(sent.searchParams.get('mapping') ?? '{}')).toEqual({ When: 'ts', Engine: 'model', 'Tokens sent': 'totalInputTokens', 'Tokens back': 'outputTokens' });
    const summary = card().getByRole('group', { name: 'Upload summary of sheet.csv' });
    await summary.waitFor({ timeout: UI });
    expect(await summary.textContent()).toContain('3 lines, 3 new, 0 already there, 0 refused');
    expect(await summary.locator('.format-tag').textContent()).toBe('csv');
    expect(await form.count()).toBe(0);
    expect(await records()).toBe(3);
  });

  it('sends the picked format with the upload, and reads a gzipped export as its content', { timeout: TEST }, async () => {
    await picker().selectOption('cursor');
    const request = page.waitForRequest((r) => /\/v1\/workspaces\/[^/]+\/usage\b/.test(r.url()) && r.method() === 'POST');
    await pick('cursor-usage.csv.gz', gzipSync(await fs.readFile(path.join(docs, 'cursor.csv'))));
    expect(new URL((await request).url()).searchParams.get('format')).toBe('cursor');
    const summary = card().getByRole('group', { name: 'Upload summary of cursor-usage.csv.gz' });
    await summary.waitFor({ timeout: UI });
    expect(await summary.textContent()).toContain('5 lines, 5 new');
    expect(await summary.locator('.format-tag').textContent()).toBe('cursor');

    // Back to detection: a Codex rollout is recognised on its own, and the query names no format.
    await picker().selectOption('');
    const detected = page.waitForRequest((r) => /\/v1\/workspaces\/[^/]+\/usage\b/.test(r.url()) && r.method() === 'POST');
    await pick('rollout-2026-11-21.jsonl', await fs.readFile(path.join(docs, 'codex.jsonl')));
    expect(new URL((await detected).url()).search).toBe('');
    const codex = card().getByRole('group', { name: 'Upload summary of rollout-2026-11-21.jsonl' });
    await codex.waitFor({ timeout: UI });
    expect(await codex.locator('.format-tag').textContent()).toBe('codex');
    expect(await records()).toBe(3 + 5 + 3);
  });
});
