import { waitForUpdate, type Provider } from '@pydantic/genai-prices';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PriceListSchema } from '@tally/protocol';
import { BUNDLED_CATALOG_VERSION } from '../../src/pricing/catalog-data.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * An admin loads a newer genai-prices data file without upgrading Tally: the price list (every
 * user's) and new uploads price with it at once; a malformed file is refused with a typed error
 * and changes nothing; removing it goes back to the bundled catalog; members cannot load one.
 */
describe('loading a genai-prices data file', () => {
  let server: TestApp;
  let admin: Awaited<ReturnType<typeof signUp>>;
  let member: Awaited<ReturnType<typeof signUp>>;
  let bundled: Provider[];

  beforeAll(async () => {
    bundled = (await waitForUpdate())!;
    server = await startTestApp({ engine: engineSetups()[0]! });
    admin = await signUp(server.baseUrl, 'catalog-admin');
    member = await signUp(server.baseUrl, 'catalog-member');
  });
  afterAll(async () => server?.close());

  const priceList = async (token: string, model: string) => PriceListSchema.parse((await rest(server.baseUrl, 'GET', `/v1/prices?model=${model}`, { token })).body);

  it('names the bundled version it was built with', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../../node_modules/@pydantic/genai-prices/package.json'), 'utf8')) as { version: string };
    expect(BUNDLED_CATALOG_VERSION).toBe(`@pydantic/genai-prices ${pkg.version}`);
  });

  it('prices with a loaded file at once, refuses a malformed one, and falls back to the bundled catalog', { timeout: 60_000 }, async () => {
    const before = await priceList(member.token, 'gpt-4o');
    expect(before.catalog).toMatchObject({ kind: 'bundled', version: BUNDLED_CATALOG_VERSION });
    expect(before.models.find((m) => m.model === 'gpt-4o')).toMatchObject({ source: 'catalog', provider: 'openai', inputPerMTok: 2.5, outputPerMTok: 10 });

    // The same data, with gpt-4o at a new (made-up) price from now on: a newer file.
    const newer = structuredClone(bundled);
    const openai = newer.find((p) => p.id === 'openai')!;
    const gpt4o = openai.models.find((m) => m.id === 'gpt-4o')!;
    gpt4o.prices = { input_mtok: 3, output_mtok: 12 };
    const member403 = await rest(server.baseUrl, 'PUT', '/v1/admin/prices/catalog?version=test', { token: member.token, json: newer });
    expect(member403.status).toBe(403);
    const loaded = await rest(server.baseUrl, 'PUT', '/v1/admin/prices/catalog?version=genai-prices%202026-12-01', { token: admin.token, json: newer });
    expect(loaded.status).toBe(200);
    expect(loaded.body).toMatchObject({ kind: 'loaded', version: 'genai-prices 2026-12-01', providers: newer.length });

    const after = await priceList(member.token, 'gpt-4o');
    expect(after.catalog).toMatchObject({ kind: 'loaded', version: 'genai-prices 2026-12-01' });
    expect(after.models.find((m) => m.model === 'gpt-4o')).toMatchObject({ source: 'catalog', inputPerMTok: 3, outputPerMTok: 12 });
    // Models the file leaves as they were keep their price.
    expect((await priceList(member.token, 'claude-sonnet-4-20250514')).models.find((m) => m.model === 'claude-sonnet-4-20250514')).toMatchObject({ inputPerMTok: 3, outputPerMTok: 15 });

    // An upload is priced with it: 1M input + 1M output tokens of gpt-4o = $15.
    const line = JSON.stringify({ id: 'x1', ts: '2026-11-20T10:00:00Z', model: 'gpt-4o', provider: 'openai', inputTokens: 1_000_000, outputTokens: 1_000_000 });
    expect((await rest(server.baseUrl, 'POST', `/v1/workspaces/${member.userId}/usage`, { token: member.token, body: line })).status).toBe(200);
    const rows = await server.app.services.agents.usageStore.aggregate(member.userId);
    expect(rows.reduce((s, r) => s + r.costUsd, 0)).toBeCloseTo(15, 9);

    // Malformed files: a typed error, and the loaded file stays in force.
    const broken: unknown[] = [
      [{ id: 'x' }],
      [{ id: 'openai', name: 'OpenAI', api_pattern: '(', models: [] }],
      [{ id: 'a', name: 'A', api_pattern: 'a', models: [{ id: 'm', match: { equals: 'm' }, prices: { input_mtok: -1 } }] }],
      [{ id: 'a', name: 'A', api_pattern: 'a', models: [{ id: 'm', match: { equals: 'm' }, prices: [{ constraint: { start_date: 'soon' }, prices: {} }] }] }],
      { providers: 'none' },
      [],
    ];
    for (const body of broken) {
      const refused = await rest(server.baseUrl, 'PUT', '/v1/admin/prices/catalog', { token: admin.token, json: body });
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body).toMatchObject({ error: { code: 'CATALOG_DATA_INVALID' } });
    }
    const notJson = await rest(server.baseUrl, 'PUT', '/v1/admin/prices/catalog', { token: admin.token, body: '[{"id":', contentType: 'application/json' });
    expect(notJson.status).toBe(400);
    expect((await priceList(member.token, 'gpt-4o')).catalog).toMatchObject({ kind: 'loaded', version: 'genai-prices 2026-12-01' });

    // Back to the bundled catalog.
    expect((await rest(server.baseUrl, 'DELETE', '/v1/admin/prices/catalog', { token: admin.token })).body).toMatchObject({ kind: 'bundled' });
    expect((await priceList(member.token, 'gpt-4o')).models.find((m) => m.model === 'gpt-4o')).toMatchObject({ inputPerMTok: 2.5 });
  });

  it('shows overrides and discounts with their source', async () => {
    await rest(server.baseUrl, 'PUT', '/v1/admin/prices', { token: admin.token, json: { model: 'acme-9000', inputPerMTok: 1, outputPerMTok: 2 } });
    await rest(server.baseUrl, 'PUT', '/v1/admin/prices/discounts', { token: admin.token, json: { provider: 'openai', percent: 10 } });
    const list = await priceList(member.token, 'gpt-4o');
    expect(list.discountsPercent).toEqual({ openai: 10 });
    expect(list.models.find((m) => m.model === 'acme-9000')).toMatchObject({ source: 'override', inputPerMTok: 1, outputPerMTok: 2, discountPercent: 0 });
    expect(list.models.find((m) => m.model === 'gpt-4o')).toMatchObject({ source: 'catalog', discountPercent: 10, inputPerMTok: 2.25, outputPerMTok: 9 });
    expect((await priceList(member.token, 'no-such-model')).models.find((m) => m.model === 'no-such-model')).toMatchObject({ source: 'unknown', inputPerMTok: null });
  });
});
