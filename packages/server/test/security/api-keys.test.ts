import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestClient, TallyApiError } from '@tally/client';
import { CreatedApiKeySchema, type AuditEvent, type CreatedApiKey } from '@tally/protocol';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { createTeamWorkspace, joinWorkspace } from '../support/team-workspace.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { usageNdjson } from '../support/usage-fixtures.js';
import { auditEvents } from './security-fixtures.js';

type Person = Awaited<ReturnType<typeof signUp>>;

/**
 * API keys belong to a workspace: made, listed (with their maker) and revoked by its admins and
 * owners, shown once, stored as a hash; a key acts as its maker in its own workspace only, and
 * stops when its maker leaves or is removed (revoked) or no longer has the permission a route needs
 * (the guard reads the maker's membership on every request). A `usage:write` key uploads usage and
 * nothing else; a `full` key does what its maker does there, but no key manages keys.
 */
for (const engine of engineSetups()) {
  describe.skipIf(engine.skipReason !== null)(`API keys on ${engine.name} ${engine.skipReason ?? ''}`, () => {
    let server: TestApp;
    let admin: Person;
    let owner: Person;
    beforeAll(async () => {
      server = await startTestApp({ engine });
      admin = await signUp(server.baseUrl, 'keys-admin');
      owner = await signUp(server.baseUrl, 'keys-owner');
    });
    afterAll(async () => server?.close());

    const keysOf = (workspaceId: string) => `/v1/workspaces/${workspaceId}/api-keys`;
    const usageOf = (workspaceId: string) => `/v1/workspaces/${workspaceId}/usage`;
    const createKey = async (person: Person, name: string, scopes: string[], workspaceId = person.userId) => {
      const res = await rest(server.baseUrl, 'POST', keysOf(workspaceId), { token: person.token, json: { name, scopes } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return CreatedApiKeySchema.parse(res.body);
    };
    const upload = (token: string, workspaceId: string, seed = 3) => rest(server.baseUrl, 'POST', usageOf(workspaceId), { token, body: usageNdjson({ seed, days: 1, requestsPerDay: 20 }) });
    const errorOf = (res: { status: number; body: Record<string, unknown> }) => [res.status, (res.body['error'] as { code?: string } | undefined)?.code];

    it('creates a key shown once, lists it with its maker and without the key, and stores only its sha256', async () => {
      const res = await rest(server.baseUrl, 'POST', keysOf(owner.userId), { token: owner.token, json: { name: 'nightly export', scopes: ['usage:write'] } });
      expect(res.status).toBe(201);
      const created = CreatedApiKeySchema.parse(res.body);
      expect(created.key).toMatch(/^tally_[A-Za-z0-9_-]{43}$/);
      expect(created).toMatchObject({ name: 'nightly export', scopes: ['usage:write'], prefix: created.key.slice(0, 14), lastUsedAt: null, createdBy: { userId: owner.userId, email: owner.email } });

      const list = await rest<{ apiKeys: Array<Record<string, unknown>> }>(server.baseUrl, 'GET', keysOf(owner.userId), { token: owner.token });
      expect(list.status).toBe(200);
      const listed = list.body.apiKeys.find((k) => k['id'] === created.id);
      expect(listed).toEqual({
        id: created.id,
        createdBy: { userId: owner.userId, email: owner.email },
        name: 'nightly export',
        scopes: ['usage:write'],
        prefix: created.prefix,
        createdAt: created.createdAt,
        lastUsedAt: null,
      });
      expect(JSON.stringify(list.body)).not.toContain(created.key);

      const rows = await server.app.services.db.selectFrom('api_keys').selectAll().where('id', '=', created.id).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ workspace_id: owner.userId, owner_id: owner.userId });
      expect(rows[0]!.key_hash).toBe(crypto.createHash('sha256').update(created.key).digest('hex'));
      expect(JSON.stringify(rows)).not.toContain(created.key.slice(14));
    });

    it('a usage:write key uploads usage into its workspace, and gets 403 AUTH_SCOPE_DENIED on everything else', async () => {
      const key = await createKey(owner, 'ingest only', ['usage:write']);
      const uploaded = await upload(key.key, owner.userId);
      expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(200);
      expect(uploaded.body['inserted']).toBeGreaterThan(0);
      // The records are the workspace's.
      const overview = await rest(server.baseUrl, 'GET', `${usageOf(owner.userId)}/overview`, { token: owner.token });
      expect(overview.body['records']).toBeGreaterThanOrEqual(uploaded.body['inserted'] as number);

      const denied: Array<[string, string, unknown?]> = [
        ['POST', '/v1/ws-tickets', {}],
        ['GET', `${usageOf(owner.userId)}/overview`],
        ['GET', `${usageOf(owner.userId)}/dashboard`],
        ['GET', keysOf(owner.userId)],
        ['POST', keysOf(owner.userId), { name: 'more', scopes: ['full'] }],
        ['GET', '/v1/sessions'],
      ];
      for (const [method, path, json] of denied) {
        const res = await rest(server.baseUrl, method, path, { token: key.key, ...(json === undefined ? {} : { json }) });
        expect(errorOf(res), `${method} ${path}`).toEqual([403, 'AUTH_SCOPE_DENIED']);
      }
      const used = await rest<{ apiKeys: Array<{ id: string; lastUsedAt: string | null }> }>(server.baseUrl, 'GET', keysOf(owner.userId), { token: owner.token });
      expect(used.body.apiKeys.find((k) => k.id === key.id)?.lastUsedAt).toEqual(expect.any(String));
    });

    it("a full key reads its workspace's data and gets WebSocket tickets, but cannot manage keys or administer", async () => {
      const key = await createKey(owner, 'full', ['full']);
      expect((await rest(server.baseUrl, 'GET', `${usageOf(owner.userId)}/overview`, { token: key.key })).status).toBe(200);
      expect((await rest(server.baseUrl, 'POST', '/v1/ws-tickets', { token: key.key, json: {} })).status).toBe(201);
      expect(errorOf(await rest(server.baseUrl, 'GET', keysOf(owner.userId), { token: key.key }))).toEqual([403, 'AUTH_SCOPE_DENIED']);
      // An admin's full key is still no way into administration.
      const adminKey = await createKey(admin, 'admin full', ['full']);
      expect(errorOf(await rest(server.baseUrl, 'GET', '/v1/admin/users', { token: adminKey.key }))).toEqual([403, 'AUTH_SCOPE_DENIED']);
    });

    it('a revoked key answers 401, and so do unknown and malformed keys', async () => {
      const key = await createKey(owner, 'short-lived', ['full']);
      const overview = `${usageOf(owner.userId)}/overview`;
      expect((await rest(server.baseUrl, 'GET', overview, { token: key.key })).status).toBe(200);
      const revoked = await rest(server.baseUrl, 'DELETE', `${keysOf(owner.userId)}/${key.id}`, { token: owner.token });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toEqual({ id: key.id, revokedAt: expect.any(String) });
      for (const token of [key.key, `tally_${crypto.randomBytes(32).toString('base64url')}`, 'tally_short']) {
        expect(errorOf(await rest(server.baseUrl, 'GET', overview, { token }))).toEqual([401, 'AUTH_INVALID_API_KEY']);
      }
      const list = await rest<{ apiKeys: Array<{ id: string }> }>(server.baseUrl, 'GET', keysOf(owner.userId), { token: owner.token });
      expect(list.body.apiKeys.map((k) => k.id)).not.toContain(key.id);
      // Revoking twice: gone.
      expect(errorOf(await rest(server.baseUrl, 'DELETE', `${keysOf(owner.userId)}/${key.id}`, { token: owner.token }))).toEqual([404, 'API_KEY_NOT_FOUND']);
    });

    it("another workspace's key id is not found, to list, revoke or guess, and stays usable", async () => {
      const key = await createKey(owner, 'mine', ['full']);
      const intruder = await signUp(server.baseUrl, 'keys-intruder');
      for (const id of [key.id, crypto.randomUUID(), 'not-a-uuid']) {
        const res = await rest(server.baseUrl, 'DELETE', `${keysOf(intruder.userId)}/${id}`, { token: intruder.token });
        expect(res.status, id).toBe(404);
        expect(res.body, id).toEqual({ error: { code: 'API_KEY_NOT_FOUND', message: expect.any(String) } });
      }
      // The owner's workspace is not there for the intruder.
      expect(errorOf(await rest(server.baseUrl, 'DELETE', `${keysOf(owner.userId)}/${key.id}`, { token: intruder.token }))).toEqual([404, 'WORKSPACE_NOT_FOUND']);
      expect(errorOf(await rest(server.baseUrl, 'GET', keysOf(owner.userId), { token: intruder.token }))).toEqual([404, 'WORKSPACE_NOT_FOUND']);
      const theirs = await rest<{ apiKeys: unknown[] }>(server.baseUrl, 'GET', keysOf(intruder.userId), { token: intruder.token });
      expect(theirs.body.apiKeys).toEqual([]);
      expect((await rest(server.baseUrl, 'GET', `${usageOf(owner.userId)}/overview`, { token: key.key })).status).toBe(200);
    });

    it('refuses bad requests: no name, unknown or repeated scopes, no credential', async () => {
      for (const json of [{ name: '', scopes: ['full'] }, { name: 'x', scopes: [] }, { name: 'x', scopes: ['admin'] }, { name: 'x', scopes: ['full', 'full'] }]) {
        const res = await rest(server.baseUrl, 'POST', keysOf(owner.userId), { token: owner.token, json });
        expect(errorOf(res), JSON.stringify(json)).toEqual([400, 'VALIDATION_FAILED']);
      }
      expect((await rest(server.baseUrl, 'GET', keysOf(owner.userId))).status).toBe(401);
    });

    it("works through the client SDK, and the key works as the SDK's token", async () => {
      const client = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => owner.token });
      const created: CreatedApiKey = await client.createApiKey(owner.userId, { name: 'sdk', scopes: ['usage:write'] });
      expect((await client.listApiKeys(owner.userId)).map((k) => k.id)).toContain(created.id);
      const ingest = createRestClient({ baseUrl: server.baseUrl, getAccessToken: () => created.key });
      expect((await ingest.uploadUsage(owner.userId, usageNdjson({ seed: 4, days: 1, requestsPerDay: 3 }))).inserted).toBeGreaterThan(0);
      await expect(ingest.usageOverview(owner.userId)).rejects.toMatchObject({ status: 403, code: 'AUTH_SCOPE_DENIED' });
      expect(await client.revokeApiKey(owner.userId, created.id)).toMatchObject({ id: created.id });
      const error = await ingest.uploadUsage(owner.userId, '{}').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TallyApiError);
      expect(error).toMatchObject({ status: 401, code: 'AUTH_INVALID_API_KEY' });
    });

    it("audits each creation and revocation in the workspace's log, with the maker, the key and never the key itself", async () => {
      const key = await createKey(owner, 'audited', ['full']);
      await rest(server.baseUrl, 'DELETE', `${keysOf(owner.userId)}/${key.id}`, { token: owner.token });
      const inWorkspace = await rest<{ events: AuditEvent[] }>(server.baseUrl, 'GET', `/v1/workspaces/${owner.userId}/audit?limit=100`, { token: owner.token });
      for (const events of [inWorkspace.body.events, await auditEvents(server.baseUrl, admin.token)]) {
        const mine = events.filter((e) => e.target === `api_key:${key.id}`);
        expect(mine.map((e) => e.action)).toEqual(['api_key.revoked', 'api_key.created']);
        expect(mine[1]).toMatchObject({ actorId: owner.userId, actorEmail: owner.email, details: { name: 'audited', scopes: ['full'], prefix: key.prefix }, ip: expect.any(String) });
        expect(JSON.stringify(mine)).not.toContain(key.key);
      }
    });

    it('OTLP keeps a live credential in memory for a moment, and forgets it the moment it is revoked or its account disabled', async () => {
      const exporter = await signUp(server.baseUrl, 'keys-exporter');
      const key = await createKey(exporter, 'collector', ['usage:write']);
      const spare = await createKey(exporter, 'second collector', ['usage:write']);
      const otlpWith = (token: string) => rest(server.baseUrl, 'POST', '/v1/otlp/v1/traces', { token, json: { resourceSpans: [] } });
      // Well inside the node's second of memory (app.ts): a node that did not forget on the bus's
      // message would still answer 200 here. Over Redis the message takes a moment to come back.
      const refusal = async (token: string) => {
        const until = Date.now() + 300;
        let res = await otlpWith(token);
        while (res.status === 200 && Date.now() < until) res = await otlpWith(token);
        return errorOf(res);
      };
      for (let i = 0; i < 3; i++) {
        for (const token of [key.key, spare.key, exporter.token]) expect((await otlpWith(token)).status).toBe(200);
      }
      expect((await rest(server.baseUrl, 'DELETE', `${keysOf(exporter.userId)}/${key.id}`, { token: exporter.token })).status).toBe(200);
      expect(await refusal(key.key)).toEqual([401, 'AUTH_INVALID_API_KEY']);
      expect((await otlpWith(spare.key)).status).toBe(200);

      expect((await rest(server.baseUrl, 'PATCH', `/v1/admin/users/${exporter.userId}`, { token: admin.token, json: { disabled: true } })).status).toBe(200);
      expect(await refusal(spare.key)).toEqual([401, 'AUTH_ACCOUNT_DISABLED']);
      expect(await refusal(exporter.token)).toEqual([401, 'AUTH_ACCOUNT_DISABLED']);
    });

    describe('in a team workspace', () => {
      let teamOwner: Person;
      let keeper: Person;
      let member: Person;
      let team: string;
      let elsewhere: string;
      const otlp = (token: string) => rest(server.baseUrl, 'POST', '/v1/otlp/v1/traces', { token, json: { resourceSpans: [] } });
      beforeAll(async () => {
        teamOwner = await signUp(server.baseUrl, 'keys-team-owner');
        keeper = await signUp(server.baseUrl, 'keys-team-admin');
        member = await signUp(server.baseUrl, 'keys-team-member');
        team = await createTeamWorkspace(server.baseUrl, teamOwner, 'Key holders');
        elsewhere = await createTeamWorkspace(server.baseUrl, teamOwner, 'Elsewhere');
        await joinWorkspace(server.baseUrl, teamOwner, team, keeper, 'admin');
        await joinWorkspace(server.baseUrl, teamOwner, team, member, 'member');
      });

      it("admins and owners manage the team's keys, each listed with its maker; a member or viewer may not", async () => {
        const byAdmin = await createKey(keeper, 'team pipeline', ['usage:write'], team);
        const byOwner = await createKey(teamOwner, 'team reader', ['full'], team);
        const listed = (await rest<{ apiKeys: Array<{ id: string; createdBy: { email: string } }> }>(server.baseUrl, 'GET', keysOf(team), { token: keeper.token })).body.apiKeys;
        expect(listed.filter((k) => [byAdmin.id, byOwner.id].includes(k.id)).map((k) => [k.id, k.createdBy.email]).sort()).toEqual(
          [
            [byAdmin.id, keeper.email],
            [byOwner.id, teamOwner.email],
          ].sort(),
        );
        for (const [method, path, json] of [
          ['GET', keysOf(team)],
          ['POST', keysOf(team), { name: 'nope', scopes: ['full'] }],
          ['DELETE', `${keysOf(team)}/${byAdmin.id}`],
        ] as Array<[string, string, unknown?]>) {
          const res = await rest(server.baseUrl, method, path, { token: member.token, ...(json === undefined ? {} : { json }) });
          expect(errorOf(res), `${method} ${path}`).toEqual([403, 'WORKSPACE_FORBIDDEN']);
        }
        // The owner revokes the admin's key: the team's keys are the team's, not their maker's.
        expect((await rest(server.baseUrl, 'DELETE', `${keysOf(team)}/${byAdmin.id}`, { token: teamOwner.token })).status).toBe(200);
        expect((await upload(byAdmin.key, team)).status).toBe(401);
      });

      it("a team key adds to the team's usage and opens no other workspace, not even its maker's own", async () => {
        const key = await createKey(keeper, 'team writer', ['full'], team);
        const before = (await rest(server.baseUrl, 'GET', `${usageOf(team)}/overview`, { token: member.token })).body['records'] as number;
        const uploaded = await upload(key.key, team, 21);
        expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(200);
        expect((await rest(server.baseUrl, 'GET', `${usageOf(team)}/overview`, { token: member.token })).body['records']).toBe(before + (uploaded.body['inserted'] as number));
        // OTLP adds to the key's workspace too.
        expect((await otlp(key.key)).status).toBe(200);
        for (const other of [keeper.userId, elsewhere, owner.userId]) {
          expect(errorOf(await upload(key.key, other)), `write ${other}`).toEqual([404, 'WORKSPACE_NOT_FOUND']);
          expect(errorOf(await rest(server.baseUrl, 'GET', `${usageOf(other)}/dashboard`, { token: key.key })), `read ${other}`).toEqual([404, 'WORKSPACE_NOT_FOUND']);
        }
      });

      it("a key follows its maker's role: an admin made viewer uploads nothing with it (REST or OTLP) but still reads", async () => {
        const writer = await createKey(keeper, 'follows its maker', ['usage:write'], team);
        const reader = await createKey(keeper, 'reads as its maker', ['full'], team);
        const setRole = async (role: string) =>
          expect((await rest(server.baseUrl, 'PATCH', `/v1/workspaces/${team}/members/${keeper.userId}`, { token: teamOwner.token, json: { role } })).status).toBe(200);
        await setRole('viewer');
        try {
          expect(errorOf(await upload(writer.key, team, 22))).toEqual([403, 'WORKSPACE_FORBIDDEN']);
          expect(errorOf(await otlp(writer.key))).toEqual([403, 'WORKSPACE_FORBIDDEN']);
          // The body is read while the role is looked up: the refusal still comes first, whatever
          // the body holds, and nothing of it is stored.
          const records = async () => (await rest(server.baseUrl, 'GET', `${usageOf(team)}/overview`, { token: reader.key })).body['records'];
          const before = await records();
          const span = {
            traceId: '5b8efff798038103d269b633813fc60c',
            spanId: 'eee19b7ec3c1b174',
            name: 'chat gpt-4.1',
            startTimeUnixNano: '1764493200000000000',
            endTimeUnixNano: '1764493201000000000',
            attributes: [
              { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4.1' } },
              { key: 'gen_ai.usage.input_tokens', value: { intValue: '120' } },
              { key: 'gen_ai.usage.output_tokens', value: { intValue: '30' } },
            ],
          };
          for (const json of [{ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }, { resourceSpans: 'not a list' }]) {
            const refused = await rest(server.baseUrl, 'POST', '/v1/otlp/v1/traces', { token: writer.key, json });
            expect(errorOf(refused), JSON.stringify(json)).toEqual([403, 'WORKSPACE_FORBIDDEN']);
          }
          expect(await records()).toBe(before);
          expect((await rest(server.baseUrl, 'GET', `${usageOf(team)}/dashboard`, { token: reader.key })).status).toBe(200);
        } finally {
          await setRole('admin');
        }
        expect((await upload(writer.key, team, 22)).status).toBe(200);
      });

      it("a removed member's keys are revoked with the removal, audited in the workspace's log", async () => {
        const leaving = await signUp(server.baseUrl, 'keys-leaving');
        await joinWorkspace(server.baseUrl, teamOwner, team, leaving, 'admin');
        const key = await createKey(leaving, 'made before leaving', ['full'], team);
        const personal = await createKey(leaving, 'their own', ['full']);
        expect((await upload(key.key, team, 23)).status).toBe(200);

        expect((await rest(server.baseUrl, 'DELETE', `/v1/workspaces/${team}/members/${leaving.userId}`, { token: teamOwner.token })).status).toBe(204);
        expect(errorOf(await upload(key.key, team, 24))).toEqual([401, 'AUTH_INVALID_API_KEY']);
        expect(errorOf(await otlp(key.key))).toEqual([401, 'AUTH_INVALID_API_KEY']);
        const listed = (await rest<{ apiKeys: Array<{ id: string }> }>(server.baseUrl, 'GET', keysOf(team), { token: teamOwner.token })).body.apiKeys;
        expect(listed.map((k) => k.id)).not.toContain(key.id);
        const log = (await rest<{ events: AuditEvent[] }>(server.baseUrl, 'GET', `/v1/workspaces/${team}/audit?limit=100`, { token: teamOwner.token })).body.events;
        expect(log.find((e) => e.target === `api_key:${key.id}` && e.action === 'api_key.revoked')).toMatchObject({ actorId: teamOwner.userId, details: { maker: leaving.userId } });
        // Their keys elsewhere are theirs still.
        expect((await rest(server.baseUrl, 'GET', `${usageOf(leaving.userId)}/overview`, { token: personal.key })).status).toBe(200);
      });

      it("the guard reads the maker's membership on every request: a key whose maker is no member any more opens nothing", async () => {
        const gone = await signUp(server.baseUrl, 'keys-gone');
        await joinWorkspace(server.baseUrl, teamOwner, team, gone, 'admin');
        const key = await createKey(gone, 'outlives its membership', ['full'], team);
        const first = await upload(key.key, team, 25);
        expect(first.status, JSON.stringify(first.body)).toBe(200);
        // The membership goes without the service (as a store restored from elsewhere could): the key is not revoked.
        await server.app.services.db.deleteFrom('workspace_members').where('workspace_id', '=', team).where('user_id', '=', gone.userId).execute();
        expect(errorOf(await upload(key.key, team, 26))).toEqual([404, 'WORKSPACE_NOT_FOUND']);
        expect(errorOf(await rest(server.baseUrl, 'GET', `${usageOf(team)}/overview`, { token: key.key }))).toEqual([404, 'WORKSPACE_NOT_FOUND']);
        expect(errorOf(await otlp(key.key))).toEqual([404, 'WORKSPACE_NOT_FOUND']);
      });
    });
  });
}
