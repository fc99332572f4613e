import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { openTestSocket } from '../support/ws-test-client.js';

/**
 * Admin prices end to end: `tally prices` writes an override and a provider discount to the
 * database; a node started on it prices uploads with them; a model known neither to the catalog
 * nor to the overrides is flagged in the ingest summary, the report and the answer, never priced
 * at zero.
 */
const execute = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../../..');

describe('price overrides and discounts', () => {
  let dir: string;
  let server: TestApp;
  const tally = (args: string[]) =>
    execute(process.execPath, ['--import', 'tsx', 'packages/server/src/cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, TALLY_DATA_DIR: dir, TALLY_DATABASE_URL: '', FORCE_COLOR: '0' },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-prices-'));
  });
  afterAll(async () => {
    await server?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('tally prices sets an override and a discount, and lists them', { timeout: 60_000 }, async () => {
    const set = await tally(['prices', 'set', 'Acme-LLM-9000', '--input', '1', '--output', '2']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Set Acme-LLM-9000: $1/MTok in, $2/MTok out.');
    expect((await tally(['prices', 'discount', 'openai', '10'])).code).toBe(0);
    const list = await tally(['prices', 'list']);
    expect(list.stdout).toContain('acme-llm-9000 [any provider]: input 1, output 2 (not in the catalog)');
    expect(list.stdout).toContain('openai: 10%');
    const bad = await tally(['prices', 'discount', 'openai', '120']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('PERCENT from 0 to less than 100');
  });

  it('a node started on that database prices with them, and flags the model nobody prices', async () => {
    server = await startTestApp({ engine: engineSetups()[0]!, env: { TALLY_DATA_DIR: dir } });
    const user = await signUp(server.baseUrl, 'prices');
    const lines = [
      // gpt-4o at $2.50/MTok input, 10% off: $2.25.
      { id: 'a', ts: '2026-09-01T10:00:00Z', model: 'gpt-4o', provider: 'openai', inputTokens: 1_000_000, outputTokens: 0 },
      // The override: $1 + $2.
      { id: 'b', ts: '2026-09-01T11:00:00Z', model: 'acme-llm-9000', inputTokens: 1_000_000, outputTokens: 1_000_000 },
      { id: 'c', ts: '2026-09-01T12:00:00Z', model: 'mystery-model', inputTokens: 500, outputTokens: 50 },
    ];
    const upload = await rest(server.baseUrl, 'POST', `/v1/workspaces/${user.userId}/usage`, { token: user.token, body: lines.map((l) => JSON.stringify(l)).join('\n') });
    expect(upload.body).toMatchObject({ inserted: 3, unpricedModels: ['mystery-model'] });

    const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, user.token), workspaceId: user.userId });
    const ack = await socket.command('send_message', { text: 'Where is my AI money going?' });
    const terminal = await socket.waitForTerminal((ack['data'] as { runId: string }).runId);
    socket.close();
    if (terminal.type !== 'run_completed') throw new Error(`run ended with ${terminal.type}`);
    const report = ReportSchema.parse(terminal.data.report);
    expect(report.totals.costUsd).toBeCloseTo(5.25, 6);
    expect(report.unpricedModels).toEqual(['mystery-model']);
    expect(terminal.data.answer).toContain('_Not priced: mystery-model (1 requests).');
  });
});
