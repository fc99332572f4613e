import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { engineSetups } from '../../server/test/support/engines.js';
import { rest, signUp } from '../../server/test/support/rest.js';
import { startTestApp, type TestApp } from '../../server/test/support/test-app.js';
import { formatCount } from '../src/format.js';
import { launchChromium, requireWebBuild } from './support/browser.js';
import { logInInBrowser } from './support/web-accounts.js';

/**
 * Live usage (issue 18) in Chromium: the usage page is open on a workspace; an exporter (the real
 * OpenTelemetry JS SDK's protobuf exporter) sends GenAI spans with a key of that workspace; the
 * dashboard's totals change to include them, with no reload of the page (the usage_changed frame
 * makes it read again). A second export moves them again.
 */
const UI = 10_000;
const TEST = 60_000;

/** Finished GenAI client spans, one per call, timed now (so the dashboard's default range has them). */
function genAiSpans(count: number, tag: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'live-browser-test' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('genai');
  const start = Date.now() - 60_000;
  for (let i = 0; i < count; i++) {
    tracer
      .startSpan('chat gpt-4.1', {
        startTime: new Date(start + i * 1000),
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4.1',
          'gen_ai.response.id': `resp_${tag}_${i}`,
          'gen_ai.usage.input_tokens': 1_000 + i,
          'gen_ai.usage.output_tokens': 100,
        },
      })
      .end(new Date(start + i * 1000 + 800));
  }
  return memory.getFinishedSpans();
}

async function exportSpans(url: string, key: string, spans: ReadableSpan[]): Promise<void> {
  const exporter = new OTLPTraceExporter({ url, headers: { Authorization: `Bearer ${key}` } });
  try {
    const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
    expect(result.code, String(result.error)).toBe(ExportResultCode.SUCCESS);
  } finally {
    await exporter.shutdown();
  }
}

describe('usage page updates live in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let page: Page;
  let key: string;

  beforeAll(async () => {
    requireWebBuild();
    [server, browser] = await Promise.all([startTestApp({ engine: engineSetups()[0]! }), launchChromium()]);
    const person = await signUp(server.baseUrl, 'live');
    // The person's personal workspace (its id is theirs) is the one the page opens on.
    const created = await rest<{ key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${person.userId}/api-keys`, { token: person.token, json: { name: 'exporter', scopes: ['usage:write'] } });
    expect(created.status).toBe(201);
    key = created.body.key;
    page = (await logInInBrowser(browser, server.baseUrl, person.email, 'correct horse battery staple')).page;
  }, TEST);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const requests = () => page.locator('.usage-totals [data-total="requests"] .figure-value');

  it('shows exported spans without a reload', { timeout: TEST }, async () => {
    await page.goto(`${server.baseUrl}/#/usage`, { timeout: UI });
    await page.getByRole('heading', { name: 'No usage yet' }).waitFor({ timeout: UI });
    // Marks this page load: a reload or navigation would lose it.
    await page.evaluate(() => ((window as unknown as { liveMarker: string }).liveMarker = 'same page'));
    let loads = 0;
    page.on('load', () => (loads += 1));

    const traces = `${server.baseUrl}/v1/otlp/v1/traces`;
    await exportSpans(traces, key, genAiSpans(7, 'a'));
    await expect.poll(() => requests().textContent().catch(() => null), { timeout: UI }).toBe(formatCount(7));

    await exportSpans(traces, key, genAiSpans(5, 'b'));
    await expect.poll(() => requests().textContent(), { timeout: UI }).toBe(formatCount(12));
    expect(await page.evaluate(() => (window as unknown as { liveMarker?: string }).liveMarker)).toBe('same page');
    expect(loads).toBe(0);
  });
});
