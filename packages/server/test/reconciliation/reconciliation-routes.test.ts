import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reconciliation, UsageDashboard, UsageSources } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { createTeamWorkspace, joinWorkspace } from '../support/team-workspace.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { EXPECTED, plantWorkspace, providerOf } from './planted-workspace.js';

/**
 * Computed versus billed through a real node on each engine: the logs uploaded and priced by the
 * catalog, the bill stored as a connector stores it, the planted differences found to the cent by
 * GET reconciliation; the source choice (PUT usage-sources, admins only) changes the dashboard's
 * total and says where each provider's came from; another workspace sees none of it.
 */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`reconciliation routes on ${engine.name}`, () => {
    let server: TestApp;
    let owner: Awaited<ReturnType<typeof signUp>>;
    let viewer: Awaited<ReturnType<typeof signUp>>;
    let workspaceId: string;

    beforeAll(async () => {
      server = await startTestApp({ engine });
      owner = await signUp(server.baseUrl, 'recon-owner');
      viewer = await signUp(server.baseUrl, 'recon-viewer');
      workspaceId = await createTeamWorkspace(server.baseUrl, owner, 'Reconciled');
      await joinWorkspace(server.baseUrl, owner, workspaceId, viewer, 'viewer');
      await plantWorkspace(server.baseUrl, owner.token, server.app.services.db, workspaceId);
    }, 120_000);
    afterAll(async () => {
      await server?.close();
    });

    const get = <T>(path: string, token = owner.token) => rest<T>(server.baseUrl, 'GET', path, { token });

    it('finds every planted difference to the cent', async () => {
      const { status, body } = await get<Reconciliation>(`/v1/workspaces/${workspaceId}/reconciliation?from=2026-11-01T00:00:00Z&to=2026-11-05T00:00:00Z`, viewer.token);
      expect(status).toBe(200);
      const openai = providerOf(body, 'openai');
      const anthropic = providerOf(body, 'anthropic');
      expect([openai.computedUsd, openai.billedUsd, openai.differenceUsd]).toEqual([EXPECTED.openai.computedUsd, EXPECTED.openai.billedUsd, EXPECTED.openai.differenceUsd]);
      expect(openai.explainedUsd).toEqual({ discount: EXPECTED.openai.discount, unpriced_model: EXPECTED.openai.unpriced, missing_logs: EXPECTED.openai.missing, credit: 0 });
      expect([anthropic.computedUsd, anthropic.billedUsd, anthropic.differenceUsd, anthropic.explainedUsd.credit]).toEqual([9, 4, -5, -5]);
      expect(body.causes.find((c) => c.kind === 'discount')).toMatchObject({ provider: 'openai', percent: 10, lines: 6 });
      expect(body.causes.find((c) => c.kind === 'unpriced_model')).toMatchObject({ model: 'gpt-mystery-1', day: '2026-11-02', requests: 5, amountUsd: 1.11 });
      expect(body.causes.find((c) => c.kind === 'missing_logs')).toMatchObject({ day: '2026-11-04', loggedRequests: 0, billedRequests: 8, amountUsd: 2.8 });
    });

    it('the source choice: admins change it, the dashboard total follows and names each provider\'s source', async () => {
      const before = await get<UsageDashboard>(`/v1/workspaces/${workspaceId}/usage/dashboard`);
      expect(before.body.costSources).toMatchObject({ applied: true, requestCostUsd: 20.13 });
      // auto: OpenAI's bill on its complete days (all but its last, 2026-11-04), Anthropic's on 2026-11-01 only.
      expect(before.body.totals.costUsd).toBe(20.127);

      const refused = await rest(server.baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/usage-sources`, { token: viewer.token, json: { provider: 'anthropic', setting: 'billing' } });
      expect(refused.status).toBe(403);
      const bad = await rest(server.baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/usage-sources`, { token: owner.token, json: { provider: 'mistral', setting: 'billing' } });
      expect(bad.status).toBe(400);
      const put = await rest<UsageSources>(server.baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/usage-sources`, { token: owner.token, json: { provider: 'anthropic', setting: 'billing' } });
      expect(put.status).toBe(200);
      expect(put.body.sources.map((s) => [s.provider, s.setting])).toEqual([
        ['openai', 'auto'],
        ['anthropic', 'billing'],
      ]);

      const after = await get<UsageDashboard>(`/v1/workspaces/${workspaceId}/usage/dashboard`);
      expect(after.body.totals.costUsd).toBe(15.127);
      expect(after.body.costSources!.providers).toEqual([
        { provider: 'anthropic', setting: 'billing', source: 'billing', costUsd: 4, fromRequestsUsd: 0, fromBillingUsd: 4 },
        { provider: 'openai', setting: 'auto', source: 'mixed', costUsd: 11.127, fromRequestsUsd: 0, fromBillingUsd: 11.127 },
      ]);
      // A filtered dashboard keeps the records' total and says why.
      const filtered = await get<UsageDashboard>(`/v1/workspaces/${workspaceId}/usage/dashboard?model=gpt-4o`);
      expect(filtered.body.costSources).toMatchObject({ applied: false, why: expect.stringContaining('filtered') });

      const requests = await rest<UsageSources>(server.baseUrl, 'PUT', `/v1/workspaces/${workspaceId}/usage-sources`, { token: owner.token, json: { provider: 'openai', setting: 'requests' } });
      expect(requests.status).toBe(200);
      expect((await get<UsageDashboard>(`/v1/workspaces/${workspaceId}/usage/dashboard`)).body.totals.costUsd).toBe(15.13);
      const audit = await get<{ events: Array<{ action: string }> }>(`/v1/workspaces/${workspaceId}/audit?limit=10`);
      expect(audit.body.events.filter((e) => e.action === 'workspace.usage_source_changed')).toHaveLength(2);
    });

    it('another workspace sees none of the bill; no bill answers computed figures only', async () => {
      const other = await signUp(server.baseUrl, 'recon-other');
      const mine = await get<Reconciliation>(`/v1/workspaces/${other.userId}/reconciliation`, other.token);
      expect(mine.status).toBe(200);
      expect([mine.body.hasBilling, mine.body.providers, mine.body.causes]).toEqual([false, [], []]);
      const foreign = await get<{ error: { code: string } }>(`/v1/workspaces/${workspaceId}/reconciliation`, other.token);
      expect([foreign.status, foreign.body.error.code]).toEqual([404, 'WORKSPACE_NOT_FOUND']);
      const badRange = await get<{ error: { code: string } }>(`/v1/workspaces/${workspaceId}/reconciliation?from=yesterday`);
      expect(badRange.status).toBe(400);
    });
  });
}
