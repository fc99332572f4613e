import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page, Route } from 'playwright-core';
import { engineSetups } from '../../server/test/support/engines.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { usageNdjson } from '../../server/test/support/usage-fixtures.js';
import { formatUsd } from '../src/components/money.js';
import { formatCount } from '../src/format.js';
import { SCREENSHOT_DIR, launchChromium, requireWebBuild } from './support/browser.js';
import { sumUsage, validRecords, type UsageSums } from './support/usage-sums.js';
import { LAPTOP, PHONE, signUpInBrowser, type WebAccount } from './support/web-accounts.js';
import { wholePageScreenshot } from './support/whole-page-screenshot.js';

/**
 * The usage page in Chromium against a real node: a file with a bad line dropped on the page
 * (progress, summary naming the line), the same file through the file button (all duplicates),
 * then the dashboard's totals checked against sums computed here from the file, under filters
 * that survive a reload. Screenshots on a laptop and a phone.
 */
const UI = 10_000;
const TEST = 60_000;

const BAD_LINE = 5;
const GOOD = usageNdjson({ seed: 21, days: 20, requestsPerDay: 12 }).trimEnd().split('\n');
const CONTENT = [...GOOD.slice(0, BAD_LINE - 1), '{"model": not json', ...GOOD.slice(BAD_LINE - 1)].join('\n') + '\n';
const RECORDS = validRecords(CONTENT);

describe('usage page in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let files: string;
  let user: WebAccount;
  let page: Page;

  beforeAll(async () => {
    requireWebBuild();
    [server, browser] = await Promise.all([startTestApp({ engine: engineSetups()[0]! }), launchChromium()]);
    files = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-web-usage-'));
    await fs.mkdir(SCREENSHOT_DIR, { recursive: true });
    user = await signUpInBrowser(browser, server.baseUrl, 'usage');
    page = user.page;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (files) await fs.rm(files, { recursive: true, force: true });
  });

  const uploadCard = () => page.getByRole('region', { name: 'Upload usage data' });
  const summaryOf = (name: string) => uploadCard().getByRole('group', { name: `Upload summary of ${name}` });
  const total = (id: string) => page.locator(`.usage-totals [data-total="${id}"] .figure-value`);
  const sums = (filter: (r: (typeof RECORDS)[number]) => boolean = () => true): UsageSums =>
    sumUsage(RECORDS.filter(filter), server.app.services.agents.prices);

  async function expectTotals(expected: UsageSums) {
    await expect.poll(() => total('requests').textContent(), { timeout: UI }).toBe(formatCount(expected.requests));
    expect(await total('spend').textContent()).toBe(formatUsd(expected.costUsd));
    expect(await total('tokens').textContent()).toBe(formatCount(expected.tokens));
    expect(await total('unpriced').textContent()).toBe(formatCount(expected.unpriced));
  }

  async function expectBadLineListed(summary: Locator) {
    const details = summary.locator('details');
    if ((await details.getAttribute('open')) === null) await summary.getByText('Refused lines').click({ timeout: UI });
    const rows = summary.locator('table.bad-lines tbody tr');
    await rows.first().waitFor({ timeout: UI });
    expect(await rows.count()).toBe(1);
    expect(await rows.locator('td.num').textContent()).toBe(String(BAD_LINE));
    expect(((await rows.locator('td').nth(1).textContent()) ?? '').length).toBeGreaterThan(3);
  }

  it('starts empty, pointing at the upload', { timeout: TEST }, async () => {
    await page.goto(`${server.baseUrl}/#/usage`, { timeout: UI });
    await page.getByRole('heading', { name: 'No usage yet' }).waitFor({ timeout: UI });
    expect(await page.getByRole('region', { name: 'No usage yet' }).textContent()).toContain('Upload a usage file');
  });

  it('uploads a dropped file with a bad line: progress, then the summary naming the line', { timeout: TEST }, async () => {
    // The request is held at the browser until the progress bar has been seen.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const hold = async (route: Route) => {
      await released;
      await route.continue();
    };
    await page.route('**/v1/workspaces/*/usage', hold);

    const transfer = await page.evaluateHandle((text) => {
      const data = new DataTransfer();
      data.items.add(new File([text], 'dropped.ndjson', { type: 'application/x-ndjson' }));
      return data;
    }, CONTENT);
    const zone = page.getByTestId('usage-dropzone');
    await zone.dispatchEvent('dragover', { dataTransfer: transfer });
    await zone.dispatchEvent('drop', { dataTransfer: transfer });

    const progress = uploadCard().getByRole('progressbar', { name: 'Uploading dropped.ndjson' });
    await progress.waitFor({ timeout: UI });
    expect(await uploadCard().locator('.progress-text').textContent()).toMatch(/^\d+% · .+ of \d+(\.\d)? KB$/);
    await uploadCard().getByRole('button', { name: 'Cancel' }).waitFor({ timeout: UI });
    release();

    const summary = summaryOf('dropped.ndjson');
    await summary.waitFor({ timeout: UI });
    await page.unroute('**/v1/workspaces/*/usage', hold);
    expect(await progress.count()).toBe(0);
    expect(await summary.textContent()).toContain(`${GOOD.length + 1} lines, ${GOOD.length} new, 0 already there, 1 refused`);
    expect(await summary.locator('.format-tag').textContent()).not.toBe('');
    await expectBadLineListed(summary);

    // The dashboard loaded again on its own: totals are the file's sums.
    await expectTotals(sums());
  });

  it('uploads the same file through the file button: every good line is a duplicate', { timeout: TEST }, async () => {
    const file = path.join(files, 'picked.ndjson');
    await fs.writeFile(file, CONTENT);
    await uploadCard().locator('input[type=file]').setInputFiles(file, { timeout: UI });
    const summary = summaryOf('picked.ndjson');
    await summary.waitFor({ timeout: UI });
    expect(await summary.textContent()).toContain(`${GOOD.length + 1} lines, 0 new, ${GOOD.length} already there, 1 refused`);
    await expectBadLineListed(summary);
    await expectTotals(sums());
  });

  it('shows the totals of the data with charts, on a laptop and on a phone', { timeout: TEST }, async () => {
    const charts = page.locator('.usage-charts');
    await charts.locator('svg.recharts-surface').first().waitFor({ timeout: UI });
    for (const title of ['Spend over time, by model', 'Spend by model', 'Spend by project']) {
      const chart = charts.getByRole('img', { name: title });
      await chart.locator('svg').first().waitFor({ timeout: UI });
      // The table behind each chart, for screen readers.
      expect(await charts.locator('table caption', { hasText: title }).count()).toBe(1);
    }
    const models = new Set(RECORDS.map((r) => r.model));
    expect(await charts.getByRole('img', { name: 'Spend by model' }).locator('.recharts-bar-rectangle').count()).toBe(models.size);
    await page.setViewportSize(LAPTOP);
    await wholePageScreenshot(page, 'usage-laptop');
    await page.setViewportSize(PHONE);
    await charts.locator('svg.recharts-surface').first().waitFor({ timeout: UI });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await wholePageScreenshot(page, 'usage-phone');
    await page.setViewportSize(LAPTOP);
  });

  it('filters by model and by the last 7 days of the data, and keeps the filters over a reload', { timeout: TEST }, async () => {
    const model = [...new Set(RECORDS.map((r) => r.model))].sort()[0]!;
    const filters = page.getByRole('search', { name: 'Usage filters' });
    await filters.locator('summary', { hasText: 'Models' }).click({ timeout: UI });
    await filters.getByRole('checkbox', { name: model, exact: true }).check({ timeout: UI });
    await expectTotals(sums((r) => r.model === model));
    expect(decodeURIComponent(new URL(page.url()).hash)).toContain(`model=${model}`);

    await filters.getByLabel('Time range').selectOption('7d', { timeout: UI });
    const lastDay = RECORDS.map((r) => r.ts).sort().at(-1)!.slice(0, 10);
    const from = Date.parse(`${lastDay}T00:00:00Z`) - 6 * 86_400_000;
    const lastWeek = (r: (typeof RECORDS)[number]) => r.model === model && Date.parse(r.ts) >= from;
    expect(sums(lastWeek).requests).toBeLessThan(sums((r) => r.model === model).requests);
    await expectTotals(sums(lastWeek));

    await page.reload({ timeout: UI });
    await expectTotals(sums(lastWeek));
    const again = page.getByRole('search', { name: 'Usage filters' });
    expect(await again.getByLabel('Time range').inputValue()).toBe('7d');
    await again.locator('summary', { hasText: 'Models' }).click({ timeout: UI });
    expect(await again.getByRole('checkbox', { name: model, exact: true }).isChecked()).toBe(true);
    await page.locator('.usage-charts svg.recharts-surface').first().waitFor({ timeout: UI });

    await again.getByRole('button', { name: 'Clear filters' }).click({ timeout: UI });
    await expectTotals(sums());
  });

  it('sets the last 7 days against the 7 before, pages the requests, filters them by status, and downloads a view as CSV', { timeout: TEST }, async () => {
    const filters = page.getByRole('search', { name: 'Usage filters' });
    await filters.getByLabel('Time range').selectOption('7d', { timeout: UI });
    const lastDay = RECORDS.map((r) => r.ts).sort().at(-1)!.slice(0, 10);
    const from = Date.parse(`${lastDay}T00:00:00Z`) - 6 * 86_400_000;
    const inWeek = RECORDS.filter((r) => Date.parse(r.ts) >= from);
    await expectTotals(sums((r) => Date.parse(r.ts) >= from));
    // The 20 days of data reach back past the previous 7 days: each figure says how it changed.
    await page.getByText(/^Compared with /).waitFor({ timeout: UI });
    expect(await page.locator('.usage-totals [data-change="spend"]').textContent()).toMatch(/^([+−][\d.]+%|no change) vs previous period$/);

    const explorer = page.getByRole('region', { name: 'Requests' });
    const count = explorer.locator('.explorer-count');
    await expect.poll(() => count.textContent(), { timeout: UI }).toBe(`1–25 of ${formatCount(inWeek.length)}`);
    expect(await explorer.locator('tbody tr').count()).toBe(25);
    await explorer.getByRole('button', { name: 'Older' }).click({ timeout: UI });
    await expect.poll(() => count.textContent(), { timeout: UI }).toBe(`26–50 of ${formatCount(inWeek.length)}`);
    await explorer.getByLabel('Status').selectOption('error', { timeout: UI });
    const errors = inWeek.filter((r) => r.status === 'error').length;
    await expect.poll(() => count.textContent(), { timeout: UI }).toBe(errors === 0 ? 'No request matches.' : `1–${Math.min(25, errors)} of ${formatCount(errors)}`);

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: UI }), page.getByRole('button', { name: 'Download spend by feature as CSV' }).click({ timeout: UI })]);
    expect(download.suggestedFilename()).toBe('spend-by-feature.csv');
    const lines = (await fs.readFile(await download.path(), 'utf8')).trimEnd().split('\r\n');
    expect(lines[0]).toBe('key,requests,cost_usd,share');
    expect(lines.slice(1).map((l) => l.split(',')[0]).sort()).toEqual([...new Set(inWeek.map((r) => r.feature))].sort());
    expect(lines.slice(1).reduce((sum, l) => sum + Number(l.split(',')[1]), 0)).toBe(inWeek.length);
  });
});
