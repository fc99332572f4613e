import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Reconciliation, UsageDashboard } from '@tally/protocol';
import type { FakeAdminApi } from '../connectors/fake-admin-api-server.js';
import { anthropicCost, anthropicUsage, startFakeAnthropicAdminApi } from '../connectors/fake-anthropic-admin-api.js';
import { openAiCost, openAiUsage, startFakeOpenAiAdminApi } from '../connectors/fake-openai-admin-api.js';
import { clickHouseSql, identifier } from '../../src/usage/clickhouse/clickhouse-literals.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp, ticketFor } from '../support/rest.js';
import { streamedText } from '../support/run-assertions.js';
import { uniqueName } from '../support/services.js';
import { createTeamWorkspace } from '../support/team-workspace.js';
import { connectorSyncedAfter, readTestConnector } from '../support/connector-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { openTestSocket } from '../support/ws-test-client.js';
import { providerOf } from './planted-workspace.js';

/**
 * Connectors and reconciliation end to end on each engine (and with usage in ClickHouse): logs uploaded through the API (priced
 * by the catalog), connectors made through the real route against the fake OpenAI and Anthropic
 * admin APIs, synced, and the planted differences found to the cent by GET reconciliation and by
 * a run asking "does our bill match our logs?". Days are relative to today (the sync fetches up to
 * now):
 * - OpenAI, 4..2 days ago: gpt-4o 10 calls ($3.50) and gpt-4o-mini 10 calls ($0.21) a day,
 *   billed 10 % less, the bill split by project (usage also by api key) and by input/output line
 *   items named as the Costs API names them ("gpt-4o-2024-08-06, input");
 * - OpenAI, yesterday: missing logs, the bill has 8 gpt-4o calls, $2.80;
 * - Anthropic, 3..2 days ago: claude-sonnet-4 10 calls a day ($4.50), billed the same in cents
 *   as decimal strings, and a promotional credit of -500 cents 2 days ago;
 * - today, both: logs ahead of the provider's partial bill (OpenAI 4 calls logged, 2 billed so
 *   far; Anthropic 2 and 1): not a difference, the day is not complete.
 */
const DAY_MS = 86_400_000;
const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
const dayKey = (ago: number) => new Date(today.getTime() - ago * DAY_MS).toISOString().slice(0, 10);

function plantedLogs(): string {
  const lines: object[] = [];
  const call = (ago: number, i: number, model: string, provider: string) =>
    lines.push({ id: `${model}-${ago}-${i}`, ts: new Date(today.getTime() - ago * DAY_MS + i * 1000).toISOString(), provider, model, project: 'e2e', inputTokens: 100_000, outputTokens: 10_000 });
  for (const ago of [4, 3, 2]) {
    for (let i = 0; i < 10; i++) {
      call(ago, i, 'gpt-4o', 'openai');
      call(ago, i, 'gpt-4o-mini', 'openai');
    }
  }
  for (let i = 0; i < 4; i++) call(0, i, 'gpt-4o', 'openai');
  for (const ago of [3, 2]) for (let i = 0; i < 10; i++) call(ago, i, 'claude-sonnet-4-20250514', 'anthropic');
  for (let i = 0; i < 2; i++) call(0, i, 'claude-sonnet-4-20250514', 'anthropic');
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

function plantOpenAi(fake: FakeAdminApi): void {
  fake.keys.add('sk-admin-e2e-OAI9');
  fake.pageSize = 2;
  // One model-day as the API reports it: usage per project and api key, costs per project and line item.
  const day = (ago: number, model: string, calls: Array<[project: string, key: string, n: number]>, usdPerCallIn: number, usdPerCallOut: number) => {
    const usage = fake.usage.get(dayKey(ago)) ?? [];
    const costs = fake.costs.get(dayKey(ago)) ?? [];
    for (const [projectId, apiKeyId, n] of calls) {
      usage.push(openAiUsage({ model, input: 100_000 * n, output: 10_000 * n, requests: n, projectId, apiKeyId }));
      costs.push(openAiCost({ usd: round(usdPerCallIn * n), lineItem: `${model}, input`, projectId }), openAiCost({ usd: round(usdPerCallOut * n), lineItem: `${model}, output`, projectId }));
    }
    fake.usage.set(dayKey(ago), usage);
    fake.costs.set(dayKey(ago), costs);
  };
  for (const ago of [4, 3, 2]) {
    day(ago, 'gpt-4o-2024-08-06', [['proj_a', 'key_1', 4], ['proj_a', 'key_2', 2], ['proj_b', 'key_3', 4]], 0.25 * 0.9, 0.1 * 0.9);
    day(ago, 'gpt-4o-mini-2024-07-18', [['proj_a', 'key_1', 10]], 0.015 * 0.9, 0.006 * 0.9);
  }
  day(1, 'gpt-4o-2024-08-06', [['proj_a', 'key_1', 8]], 0.25, 0.1);
  day(0, 'gpt-4o-2024-08-06', [['proj_a', 'key_1', 2]], 0.25 * 0.9, 0.1 * 0.9);
}

function plantAnthropic(fake: FakeAdminApi): void {
  fake.keys.add('sk-ant-admin-e2e');
  const model = 'claude-sonnet-4-20250514';
  const day = (ago: number, calls: number, extra: unknown[] = []) => {
    fake.usage.set(dayKey(ago), [anthropicUsage({ model, uncached: 100_000 * calls, output: 10_000 * calls, workspaceId: 'wrkspc_1', apiKeyId: 'apikey_1' })]);
    fake.costs.set(dayKey(ago), [
      anthropicCost({ cents: (30 * calls).toFixed(6), description: 'Claude Sonnet 4 Usage - Input Tokens', model, tokenType: 'uncached_input_tokens', workspaceId: 'wrkspc_1' }),
      anthropicCost({ cents: (15 * calls).toFixed(2), description: 'Claude Sonnet 4 Usage - Output Tokens', model, tokenType: 'output_tokens', workspaceId: 'wrkspc_1' }),
      ...extra,
    ]);
  };
  day(3, 10);
  day(2, 10, [{ ...anthropicCost({ cents: '-500.00', description: 'Promotional credit' }), cost_type: null, context_window: null, service_tier: null }]);
  day(0, 1);
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** A node the suite runs against: each database engine, and the embedded one with usage in ClickHouse. */
interface NodeSetup {
  name: string;
  skipReason: string | null;
  start(env: Record<string, string>): Promise<TestApp>;
  cleanUp?(): Promise<void>;
}

function nodeSetups(): NodeSetup[] {
  const setups: NodeSetup[] = engineSetups().map((engine) => ({ name: engine.name, skipReason: engine.skipReason, start: (env) => startTestApp({ engine, env }) }));
  const clickhouseUrl = inject('clickhouseUrl');
  const database = uniqueName('tally_recon');
  setups.push({
    name: 'embedded with ClickHouse usage',
    skipReason: clickhouseUrl ? null : (inject('servicesMissing')['clickhouse'] ?? 'no ClickHouse URL was provided'),
    start: (env) =>
      startTestApp({ engine: { name: 'embedded', postgresUrl: null, redisUrl: null, skipReason: null }, env: { ...env, TALLY_CLICKHOUSE_URL: `${clickhouseUrl!.replace(/\/$/, '')}/${database}` } }),
    async cleanUp() {
      const admin = createClient({ url: clickhouseUrl! });
      try {
        await admin.command({ query: clickHouseSql`DROP DATABASE IF EXISTS ${identifier(database)}`.text });
      } finally {
        await admin.close();
      }
    },
  });
  return setups;
}

for (const engine of nodeSetups()) {
  describe.skipIf(engine.skipReason !== null)(`connector to reconciliation on ${engine.name}`, () => {
    let openai: FakeAdminApi;
    let anthropic: FakeAdminApi;
    let server: TestApp;
    let owner: Awaited<ReturnType<typeof signUp>>;
    let workspaceId: string;

    const view = () => ({ baseUrl: server.baseUrl, owner, workspaceId });
    const connectorOf = (provider: string) => readTestConnector(view(), provider);
    /** Waits for a sync that finished after `after` (ISO), and returns the connector then. */
    const syncedAfter = (provider: string, after: string | null) => connectorSyncedAfter(view(), provider, after);

    beforeAll(async () => {
      [openai, anthropic] = await Promise.all([startFakeOpenAiAdminApi(), startFakeAnthropicAdminApi()]);
      plantOpenAi(openai);
      plantAnthropic(anthropic);
      server = await engine.start({ TALLY_CONNECTOR_OPENAI_BASE_URL: openai.url, TALLY_CONNECTOR_ANTHROPIC_BASE_URL: anthropic.url, TALLY_CONNECTOR_TICK_MS: '100' });
      owner = await signUp(server.baseUrl, 'e2e-owner');
      workspaceId = await createTeamWorkspace(server.baseUrl, owner, 'Billed');
      const upload = await rest<{ inserted: number }>(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/usage`, { token: owner.token, body: plantedLogs() });
      expect([upload.status, upload.body.inserted]).toEqual([200, 86]);
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await openai?.close();
      await anthropic?.close();
      await engine.cleanUp?.();
    });

    it('connectors made through the route sync the bill; "sync now" re-fetches it without counting it twice', async () => {
      for (const [provider, adminKey] of [['openai', 'sk-admin-e2e-OAI9'], ['anthropic', 'sk-ant-admin-e2e']] as const) {
        const put = await rest(server.baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/connectors/${provider}`, { token: owner.token, json: { adminKey, backfillDays: 7 } });
        expect(put.status).toBe(201);
        expect(await syncedAfter(provider, null)).toMatchObject({ lastError: null, syncedThrough: today.toISOString() });
      }
      const first = await connectorOf('openai');
      expect((await rest(server.baseUrl, 'POST', `/v1/workspaces/${workspaceId}/connectors/openai/sync`, { token: owner.token })).status).toBe(202);
      await syncedAfter('openai', first.lastSyncFinishedAt);
    });

    it('GET reconciliation finds each planted difference to the cent; today, partial, is not one', async () => {
      const { status, body } = await rest<Reconciliation>(server.baseUrl, 'GET', `/v1/workspaces/${workspaceId}/reconciliation?from=${dayKey(6)}T00:00:00Z&to=${dayKey(-1)}T00:00:00Z`, { token: owner.token });
      expect(status).toBe(200);
      const o = providerOf(body, 'openai');
      const a = providerOf(body, 'anthropic');
      // Complete days only: 3 x ($3.50 + $0.21) computed; 3 x ($3.15 + $0.189) + $2.80 billed.
      expect([o.computedUsd, o.billedUsd, o.differenceUsd, o.billedDays, o.byModel]).toEqual([11.13, 12.817, 1.687, 4, true]);
      expect(o.explainedUsd).toEqual({ discount: -1.113, unpriced_model: 0, missing_logs: 2.8, credit: 0 });
      expect(body.causes.find((c) => c.kind === 'discount')).toMatchObject({ provider: 'openai', percent: 10, lines: 6 });
      expect(body.causes.find((c) => c.kind === 'missing_logs')).toMatchObject({ provider: 'openai', day: dayKey(1), model: 'gpt-4o-2024-08-06', loggedRequests: 0, billedRequests: 8, amountUsd: 2.8 });
      // The project and api-key breakdown adds up to the day's calls once: no tokens mismatch anywhere.
      expect(body.lines.find((l) => l.provider === 'openai' && l.day === dayKey(3) && l.model === 'gpt-4o-2024-08-06')).toMatchObject({ loggedRequests: 10, billedRequests: 10, loggedTokens: 1_100_000, billedTokens: 1_100_000, computedUsd: 3.5, billedUsd: 3.15 });
      expect(body.causes.filter((c) => c.kind === 'tokens_mismatch')).toEqual([]);

      expect([a.computedUsd, a.billedUsd, a.differenceUsd, a.billedDays]).toEqual([9, 4, -5, 2]);
      expect(a.explainedUsd).toEqual({ discount: 0, unpriced_model: 0, missing_logs: 0, credit: -5 });
      expect(body.causes.find((c) => c.kind === 'credit')).toMatchObject({ provider: 'anthropic', day: dayKey(2), lineItem: 'Promotional credit', amountUsd: -5 });

      // Today: the partial bill is shown, counted from the logs, and explains nothing.
      expect(body.days.filter((d) => d.day === dayKey(0))).toEqual([
        expect.objectContaining({ provider: 'anthropic', computedUsd: 0.9, billedUsd: 0.45, source: 'requests', partial: true }),
        expect.objectContaining({ provider: 'openai', computedUsd: 1.4, billedUsd: 0.63, source: 'requests', partial: true }),
      ]);
      expect(body.lines.filter((l) => l.day === dayKey(0)).flatMap((l) => l.causes)).toEqual([]);
    });

    it('the dashboard total takes each provider\'s bill over its complete days, the logs elsewhere', async () => {
      const { body } = await rest<UsageDashboard>(server.baseUrl, 'GET', `/v1/workspaces/${workspaceId}/usage/dashboard?from=${dayKey(6)}T00:00:00Z&to=${dayKey(-1)}T00:00:00Z`, { token: owner.token });
      // OpenAI 12.817 billed + 1.40 logged today; Anthropic 4.00 billed + 0.90 logged today.
      expect(body.totals.costUsd).toBe(19.117);
      expect(body.costSources!.providers).toEqual([
        { provider: 'anthropic', setting: 'auto', source: 'mixed', costUsd: 4.9, fromRequestsUsd: 0.9, fromBillingUsd: 4 },
        { provider: 'openai', setting: 'auto', source: 'mixed', costUsd: 14.217, fromRequestsUsd: 1.4, fromBillingUsd: 12.817 },
      ]);
    });

    it('the previous period\'s total is counted from the same sources as the current one', async () => {
      // This period: 2 days ago to today; the previous: 5 to 3 days ago, all of it billed and complete.
      const { body } = await rest<UsageDashboard>(server.baseUrl, 'GET', `/v1/workspaces/${workspaceId}/usage/dashboard?from=${dayKey(2)}T00:00:00Z&to=${dayKey(-1)}T00:00:00Z`, { token: owner.token });
      // OpenAI 3.339 + 2.80 billed + 1.40 logged today; Anthropic 4.50 - 5.00 billed + 0.90 logged today.
      expect(body.totals.costUsd).toBe(7.939);
      expect(body.previous).toMatchObject({ from: `${dayKey(5)}T00:00:00.000Z`, to: `${dayKey(2)}T00:00:00.000Z` });
      // Billed: OpenAI 2 x 3.339, Anthropic 4.50; the logs alone would say 2 x 3.71 + 4.50 = 11.92.
      expect(body.previous!.totals.costUsd).toBe(11.178);
      expect(body.previous!.costSources).toMatchObject({ applied: true, requestCostUsd: 11.92 });
      expect(body.previous!.costSources!.providers.map((p) => [p.provider, p.source, p.costUsd])).toEqual([
        ['anthropic', 'billing', 4.5],
        ['openai', 'billing', 6.678],
      ]);
    });

    it('a run asked "does our bill match our logs?" answers with those figures', async () => {
      const socket = await openTestSocket(server.wsUrl, { ticket: await ticketFor(server.baseUrl, owner.token), workspaceId });
      try {
        const ack = await socket.command('send_message', { workspaceId, text: 'Does our bill match our logs?' });
        expect(ack['type']).toBe('ack');
        const { runId } = ack['data'] as { runId: string };
        expect((await socket.waitForTerminal(runId, 60_000)).type).toBe('run_completed');
        const answer = streamedText(socket.eventsOf(runId));
        expect(answer).toContain('| openai | $11.13 | $12.82 | +$1.69 (+15.16 %) | 4 |');
        expect(answer).toContain('| anthropic | $9.00 | $4.00 | -$5.00 (-55.56 %) | 2 |');
        expect(answer).toContain(`Missing logs on ${dayKey(1)} for \`gpt-4o-2024-08-06\`: 0 requests logged against 8 billed, $2.80 billed beyond the logs.`);
        expect(answer).toContain('Discount: the bill is 10 % below the computed cost on all 6 comparable lines, -$1.11 in all.');
        expect(answer).toContain(`Credit on ${dayKey(2)}: "Promotional credit", -$5.00.`);
        expect(answer).toContain(`Not compared yet, the provider is still billing the day (anthropic ${dayKey(0)}: $0.45 billed so far, $0.90 logged; openai ${dayKey(0)}: $0.63 billed so far, $1.40 logged)`);
        expect(answer).not.toContain('Token counts differ');
      } finally {
        socket.close();
      }
    });
  });
}
