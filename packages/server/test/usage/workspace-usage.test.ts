import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRestClient } from '@tally/client';
import type { UsageDashboard } from '@tally/protocol';
import { clickHouseSql, identifier, uuid } from '../../src/usage/clickhouse/clickhouse-literals.js';
import { engineSetups, type EngineSetup } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { uniqueName } from '../support/services.js';
import { createTeamWorkspace, joinWorkspace } from '../support/team-workspace.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';

type Person = Awaited<ReturnType<typeof signUp>>;

/**
 * A workspace's usage is its members' together, on every usage engine: two members upload into a
 * team workspace and every member (a viewer too) reads the same figures, which hold both uploads
 * and nothing of anyone's personal workspace; a viewer cannot upload; a key of one workspace opens
 * no other. Deleting a member's account erases their personal workspace's usage and that of a team
 * workspace they were alone in (ClickHouse too), and leaves the team's as it was.
 */
function workspaceUsageSuite(label: string, start: () => Promise<TestApp>, countIn?: (workspaceId: string) => Promise<number>, stop: () => Promise<void> = async () => undefined) {
  describe(`workspace usage on ${label}`, () => {
    let server: TestApp;
    let owner: Person;
    let member: Person;
    let viewer: Person;
    let team: string;
    const files = { owner: usageNdjson({ seed: 61, days: 3, requestsPerDay: 40 }), member: usageNdjson({ seed: 62, days: 3, requestsPerDay: 30 }) };
    const linesOf = (file: string) => file.trim().split('\n').length;
    const usage = (workspaceId: string, tail = '') => `/v1/workspaces/${workspaceId}/usage${tail}`;
    const dashboardOf = async (person: Person, workspaceId: string) => {
      const res = await rest<UsageDashboard>(server.baseUrl, 'GET', usage(workspaceId, '/dashboard'), { token: person.token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };

    beforeAll(async () => {
      server = await start();
      owner = await signUp(server.baseUrl, 'ws-usage-owner');
      member = await signUp(server.baseUrl, 'ws-usage-member');
      viewer = await signUp(server.baseUrl, 'ws-usage-viewer');
      team = await createTeamWorkspace(server.baseUrl, owner, 'Spend watchers');
      await joinWorkspace(server.baseUrl, owner, team, member, 'member');
      await joinWorkspace(server.baseUrl, owner, team, viewer, 'viewer');
      // Something in the owner's personal workspace, which the team's figures must never include.
      expect((await rest(server.baseUrl, 'POST', usage(owner.userId), { token: owner.token, body: usageNdjson({ seed: 63, days: 2, requestsPerDay: 50 }) })).status).toBe(200);
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await stop();
    });

    it('two members upload into the team and every member reads the same figures, holding both uploads and nothing else', async () => {
      const byOwner = await rest(server.baseUrl, 'POST', usage(team), { token: owner.token, body: files.owner });
      expect(byOwner.body).toMatchObject({ inserted: linesOf(files.owner), duplicates: 0 });
      // The member uploads through the SDK, as the web app does.
      const sdk = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => member.token });
      expect((await sdk.uploadUsage(team, files.member)).inserted).toBe(linesOf(files.member));

      const seen = await Promise.all([owner, member, viewer].map((p) => dashboardOf(p, team)));
      expect(seen[0]!.totals.requests).toBe(linesOf(files.owner) + linesOf(files.member));
      expect(seen[1]).toEqual(seen[0]);
      expect(seen[2]).toEqual(seen[0]);
      expect(await sdk.usageDashboard(team)).toEqual(seen[0]);
      const overview = (await rest(server.baseUrl, 'GET', usage(team, '/overview'), { token: viewer.token })).body;
      expect(overview).toMatchObject({ records: linesOf(files.owner) + linesOf(files.member) });
      // The explorer pages the team's calls for any member.
      const page = await rest<{ total: number }>(server.baseUrl, 'GET', usage(team, '/requests?limit=5'), { token: viewer.token });
      expect(page.body.total).toBe(linesOf(files.owner) + linesOf(files.member));
      // The personal workspaces kept what was theirs: the owner's upload there, the member's nothing.
      expect((await dashboardOf(owner, owner.userId)).totals.requests).toBeGreaterThan(0);
      expect((await dashboardOf(member, member.userId)).totals.requests).toBe(0);
      // The same file again adds nothing, whoever sends it.
      expect((await rest(server.baseUrl, 'POST', usage(team), { token: member.token, body: files.owner })).body).toMatchObject({ inserted: 0, duplicates: linesOf(files.owner) });
    });

    it('a viewer reads but cannot upload; a non-member neither', async () => {
      const refused = await rest(server.baseUrl, 'POST', usage(team), { token: viewer.token, body: usageNdjson({ seed: 64, days: 1, requestsPerDay: 20 }) });
      expect(refused).toMatchObject({ status: 403, body: { error: { code: 'WORKSPACE_FORBIDDEN' } } });
      const outsider = await signUp(server.baseUrl, 'ws-usage-outsider');
      for (const [method, path] of [['POST', usage(team)], ['GET', usage(team, '/dashboard')], ['GET', usage(team, '/call-stats')]] as const) {
        const res = await rest(server.baseUrl, method, path, { token: outsider.token, ...(method === 'POST' ? { body: files.owner } : {}) });
        expect(res, `${method} ${path}`).toMatchObject({ status: 404, body: { error: { code: 'WORKSPACE_NOT_FOUND' } } });
      }
    });

    it("a key of one workspace neither reads nor writes another's usage", async () => {
      const made = await rest<{ key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${team}/api-keys`, { token: owner.token, json: { name: 'team only', scopes: ['full'] } });
      const theirs = await rest<{ key: string }>(server.baseUrl, 'POST', `/v1/workspaces/${member.userId}/api-keys`, { token: member.token, json: { name: 'personal', scopes: ['full'] } });
      for (const [key, other] of [
        [made.body.key, owner.userId],
        [made.body.key, member.userId],
        [theirs.body.key, team],
      ] as const) {
        expect(await rest(server.baseUrl, 'GET', usage(other, '/overview'), { token: key })).toMatchObject({ status: 404, body: { error: { code: 'WORKSPACE_NOT_FOUND' } } });
        expect(await rest(server.baseUrl, 'POST', usage(other), { token: key, body: files.member })).toMatchObject({ status: 404, body: { error: { code: 'WORKSPACE_NOT_FOUND' } } });
      }
      expect((await rest(server.baseUrl, 'GET', usage(team, '/overview'), { token: made.body.key })).status).toBe(200);
    });

    it("deleting a member's account erases their personal workspace's usage and that of a team they were alone in, and leaves the team's", async () => {
      const leaving = await signUp(server.baseUrl, 'ws-usage-leaving');
      await joinWorkspace(server.baseUrl, owner, team, leaving, 'member');
      const theirs = usageNdjson({ seed: 65, days: 2, requestsPerDay: 25 });
      expect((await rest(server.baseUrl, 'POST', usage(leaving.userId), { token: leaving.token, body: theirs })).status).toBe(200);
      const solo = await createTeamWorkspace(server.baseUrl, leaving, 'Party of one');
      const soloFile = usageNdjson({ seed: 67, days: 1, requestsPerDay: 20 });
      expect((await rest(server.baseUrl, 'POST', usage(solo), { token: leaving.token, body: soloFile })).status).toBe(200);
      expect((await rest(server.baseUrl, 'POST', usage(team), { token: leaving.token, body: usageNdjson({ seed: 66, days: 1, requestsPerDay: 20 }) })).status).toBe(200);
      const teamBefore = await dashboardOf(owner, team);
      if (countIn) expect([await countIn(leaving.userId), await countIn(solo)]).toEqual([linesOf(theirs), linesOf(soloFile)]);

      const deleted = await rest(server.baseUrl, 'DELETE', '/v1/me', { token: leaving.token, json: { password: 'correct horse battery staple' } });
      expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
      expect(await dashboardOf(owner, team)).toEqual(teamBefore);
      const rows = await server.app.services.db.selectFrom('usage_records').select('owner_id').where('owner_id', 'in', [leaving.userId, solo]).execute();
      expect(rows).toEqual([]);
      if (countIn) expect([await countIn(leaving.userId), await countIn(solo)]).toEqual([0, 0]);
    });
  });
}

for (const engine of engineSetups()) {
  if (engine.skipReason !== null) {
    describe.skip(`workspace usage on ${engine.name} ${engine.skipReason}`, () => undefined);
    continue;
  }
  workspaceUsageSuite(engine.name, () => startTestApp({ engine: engine as EngineSetup }));
}

const clickhouseUrl = inject('clickhouseUrl');
if (clickhouseUrl) {
  const database = uniqueName('tally_ws_usage');
  const admin = createClient({ url: clickhouseUrl });
  workspaceUsageSuite(
    'ClickHouse',
    () =>
      startTestApp({
        engine: { name: 'embedded', postgresUrl: null, redisUrl: null, skipReason: null },
        env: { TALLY_CLICKHOUSE_URL: `${clickhouseUrl.replace(/\/$/, '')}/${database}` },
      }),
    async (workspaceId) => {
      const result = await admin.query({
        query: clickHouseSql`SELECT count() AS n FROM ${identifier(database)}.usage_records FINAL WHERE owner_id = ${uuid(workspaceId)}`.text,
        format: 'JSONEachRow',
      });
      const [row] = (await result.json()) as Array<{ n: number | string }>;
      return Number(row?.n ?? 0);
    },
    async () => {
      try {
        await admin.command({ query: clickHouseSql`DROP DATABASE IF EXISTS ${identifier(database)}`.text });
      } finally {
        await admin.close();
      }
    },
  );
} else {
  describe.skip(`workspace usage on ClickHouse (SKIPPED: ${inject('servicesMissing')['clickhouse'] ?? 'no ClickHouse URL'})`, () => undefined);
}
