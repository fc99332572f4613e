import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadinessSchema } from '@tally/protocol';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { startFakeLlm, type FakeLlm } from '../support/fake-llm.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { openTestSocket } from '../support/ws-test-client.js';

/** Prometheus' own parser and linter, from Debian's `prometheus` package (scripts/install-services.sh). */
const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => fs.existsSync(p)) ?? null;

/** Runs `promtool check metrics` over the exposition text: its exit code and what it said. */
function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(promtool!, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(text);
  });
}

/** The value of one sample (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * The Prometheus endpoint scraped during and after a real run, each scrape checked by
 * Prometheus' own text parser and linter (promtool): the run is counted, and so are the request,
 * the socket, the ingest, the event-log writes and the LLM calls behind it.
 */
describe.skipIf(promtool === null)(`metrics endpoint ${promtool ? '' : 'SKIPPED: promtool not installed (apt-get install prometheus)'}`, () => {
  let app: App;
  let baseUrl: string;
  let llm: FakeLlm;
  let dataDir: string;

  beforeAll(async () => {
    llm = await startFakeLlm((request) =>
      request.body['stream'] === true
        ? { stream: Array.from({ length: 40 }, (_, i) => `word${i} `), chunkDelayMs: 40 }
        : { json: { intent: 'cost_analysis', models: [], project: null, timeRange: null } },
    );
    dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tally-metrics-'));
    const config = loadConfig({
      TALLY_DATA_DIR: dataDir,
      TALLY_HOST: '127.0.0.1',
      TALLY_METRICS_PORT: '0',
      TALLY_LLM_BASE_URL: llm.url,
      TALLY_LLM_MODEL: 'fake',
      TALLY_LLM_API_KEY: 'k',
    });
    app = await buildApp(config, { logger: pino({ level: 'silent' }) });
    baseUrl = await app.app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await llm?.close();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  async function scrape(): Promise<string> {
    const response = await fetch(`${app.metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const checked = await promtoolCheck(text);
    expect(checked, checked.output).toEqual({ code: 0, output: '' });
    return text;
  }

  it('serves GET /metrics only, on its own port', async () => {
    expect(app.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${app.metricsUrl}/`)).status).toBe(404);
    // Not on the API's port (where /metrics is the web app's page, if anything).
    expect(await (await fetch(`${baseUrl}/metrics`)).text()).not.toContain('tally_runs');
  });

  it('a run is counted: running while it streams, then completed with its duration, events and LLM calls', async () => {
    const user = await signUp(baseUrl, 'metrics');
    const upload = await rest<{ inserted: number; rejected: number }>(baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: usageNdjson({ seed: 5, days: 2, requestsPerDay: 20 }) });
    expect(upload.body.inserted).toBeGreaterThan(0);
    const socket = await openTestSocket(baseUrl.replace(/^http/, 'ws') + '/v1/ws', { ticket: await ticketFor(baseUrl, user.token), workspaceId: user.userId });
    const { runId } = (await socket.command('send_message', { text: 'Where is my AI money going?' }))['data'] as { runId: string };
    await socket.waitFor((f) => f['runId'] === runId && f['type'] === 'message_delta', 30_000);

    const during = await scrape();
    expect(sample(during, 'tally_runs_active')).toBe(1);
    expect(sample(during, 'tally_runs{state="running"}')).toBe(1);
    expect(sample(during, 'tally_websocket_connections')).toBe(1);
    expect(sample(during, 'tally_runs_started_total')).toBe(1);
    expect(sample(during, 'tally_run_first_event_seconds_count')).toBe(1);

    await socket.waitForTerminal(runId, 30_000);
    // The embedded default runs the agents on a run thread: what it counts after the terminal event
    // (the run's end, its active count every 100 ms) reaches the main thread's registry a moment later.
    let after = await scrape();
    for (let tries = 0; tries < 50 && (sample(after, 'tally_runs_active') !== 0 || !sample(after, 'tally_runs_finished_total{status="completed"}')); tries++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await scrape();
    }
    expect(sample(after, 'tally_runs_active')).toBe(0);
    expect(sample(after, 'tally_runs_finished_total{status="completed"}')).toBe(1);
    expect(sample(after, 'tally_run_duration_seconds_count{status="completed"}')).toBe(1);
    expect(sample(after, 'tally_run_duration_seconds_sum{status="completed"}')).toBeGreaterThan(0);
    expect(sample(after, 'tally_event_log_writes_total')).toBeGreaterThan(0);
    expect(sample(after, 'tally_event_log_events_total')).toBeGreaterThan(sample(after, 'tally_event_log_writes_total')!);
    expect(sample(after, 'tally_event_delivery_lag_seconds_count')).toBeGreaterThan(0);
    expect(sample(after, 'tally_usage_ingest_rows_total{outcome="inserted"}')).toBe(upload.body.inserted);
    expect(sample(after, 'tally_usage_ingest_rows_total{outcome="refused"}')).toBe(upload.body.rejected);
    expect(sample(after, 'tally_llm_calls_total{status="ok"}')).toBeGreaterThan(0);
    expect(sample(after, 'tally_llm_call_duration_seconds_count')).toBeGreaterThan(0);
    expect(sample(after, 'tally_http_requests_total{method="POST",route="/v1/workspaces/:workspaceId/usage",status_code="200"}')).toBe(1);
    expect(sample(after, 'tally_run_takeovers_total')).toBe(0);
    // Node's own figures, under the names dashboards expect.
    expect(sample(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(after).toContain('nodejs_eventloop_lag_seconds ');
    // No label carries an id: user, thread and run ids never appear.
    for (const id of [user.userId, runId]) expect(after).not.toContain(id);
    socket.close();
  }, 60_000);

  it('readiness: ready while serving, not ready once draining; liveness answers throughout', async () => {
    const ready = await app.app.inject({ method: 'GET', url: '/v1/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ReadinessSchema.parse(ready.json())).toEqual({ status: 'ready', draining: false, checks: { database: 'up', bus: 'none', ephemeral: 'none' } });
    expect((await app.app.inject({ method: 'GET', url: '/v1/health/live' })).statusCode).toBe(200);
    expect((await app.app.inject({ method: 'GET', url: '/v1/health' })).json()).toMatchObject({ status: 'ok' });
    // The node starts draining: a load balancer must stop sending it new clients.
    const closing = app.close();
    const draining = await app.app.inject({ method: 'GET', url: '/v1/health/ready' });
    expect(draining.statusCode).toBe(503);
    expect(ReadinessSchema.parse(draining.json())).toMatchObject({ status: 'not_ready', draining: true });
    await closing;
  });
});
