import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmoke } from '../../src/cli/smoke.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { createTeamWorkspace, joinWorkspace } from '../support/team-workspace.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../../..');
const tally = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'packages/server/src/cli/main.ts', ...args], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

describe('the tally CLI against a running node', () => {
  let server: TestApp;
  let dir: string;
  beforeAll(async () => {
    server = await startTestApp({ engine: engineSetups()[0]! });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-cli-'));
  });
  afterAll(async () => {
    await server?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('generate-usage writes valid NDJSON, and ingest uploads it with a summary, idempotently', async () => {
    const file = path.join(dir, 'usage.ndjson');
    const generated = await tally(['generate-usage', '--out', file, '--days', '2', '--seed', '9']);
    expect(generated.code).toBe(0);
    const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1000);
    // One bad line in the middle: reported by its number in the whole file, the rest goes in.
    lines.splice(500, 0, '{"model":"gpt-4o"}');
    await fs.writeFile(file, lines.join('\n') + '\n');

    const user = await signUp(server.baseUrl, 'cli');
    const args = ['ingest', file, '--url', server.baseUrl, '--email', user.email, '--password', 'correct horse battery staple'];
    const first = await tally(args);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`${lines.length} lines: ${lines.length - 1} stored, 0 already there, 1 rejected`);
    expect(first.stdout).toMatch(/line 501: /);
    const second = await tally(args);
    expect(second.stdout).toContain(`${lines.length - 1} already there`);
    const overview = await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/usage/overview`, { token: user.token });
    expect(overview.body).toMatchObject({ records: lines.length - 1 });
  }, 90_000);

  it('ingest --workspace adds to a team workspace named by its name or id; a viewer is refused, and so is an unknown name', async () => {
    const file = path.join(dir, 'team.ndjson');
    expect((await tally(['generate-usage', '--out', file, '--days', '1', '--seed', '12'])).code).toBe(0);
    const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n').length;
    const owner = await signUp(server.baseUrl, 'cli-team-owner');
    const viewer = await signUp(server.baseUrl, 'cli-team-viewer');
    const team = await createTeamWorkspace(server.baseUrl, owner, 'CLI Crew');
    await joinWorkspace(server.baseUrl, owner, team, viewer, 'viewer');
    const ingest = (who: { email: string }, workspace: string) =>
      tally(['ingest', file, '--url', server.baseUrl, '--email', who.email, '--password', 'correct horse battery staple', '--workspace', workspace]);

    const byName = await ingest(owner, 'cli crew');
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout).toContain('Workspace: CLI Crew\n');
    expect(byName.stdout).toContain(`${lines} lines: ${lines} stored`);
    expect((await ingest(owner, team)).stdout).toContain(`${lines} already there`);
    const overview = (id: string) => rest(server.baseUrl, 'GET', `/v1/workspaces/${id}/usage/overview`, { token: owner.token });
    expect((await overview(team)).body).toMatchObject({ records: lines });
    expect((await overview(owner.userId)).body).toMatchObject({ records: 0 });

    const refused = await ingest(viewer, team);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Your role in this workspace does not allow this.');
    const unknown = await ingest(owner, 'no such team');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('you are in no workspace "no such team"');
  }, 90_000);

  it('ingest without credentials says what it needs', async () => {
    const result = await tally(['ingest', path.join(dir, 'none.ndjson'), '--url', server.baseUrl]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--email E (or TALLY_EMAIL) and its password in TALLY_PASSWORD');
  });

  it('smoke passes against a healthy node, step by step, and leaves no account behind', async () => {
    const db = server.app.services.db;
    const accountsBefore = (await db.selectFrom('users').select('id').execute()).map((u) => u.id);
    // Usage belongs to workspaces (a personal one has its person's id; team ones made by other tests are kept).
    const workspacesBefore = (await db.selectFrom('workspaces').select('id').execute()).map((w) => w.id);
    const lines: string[] = [];
    const result = await runSmoke({ url: server.baseUrl, log: (line) => lines.push(line) });
    expect(result.ok, lines.join('\n')).toBe(true);
    expect(result.steps.every((s) => s.ok)).toBe(true);
    expect(result.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['health', 'send_message', 'resume on new socket']));
    expect(result.steps.at(-1)?.name).toBe('delete account');
    expect(lines.at(-1)).toMatch(/^smoke passed in \d+ ms$/);
    // The account it signed up is gone, with its usage and threads; nobody else's changed.
    expect((await db.selectFrom('users').select('id').execute()).map((u) => u.id).sort()).toEqual([...accountsBefore].sort());
    const owned = await db.selectFrom('usage_records').select('owner_id').where('owner_id', 'not in', workspacesBefore).limit(1).execute();
    expect(owned).toEqual([]);
    expect(await db.selectFrom('threads').select('owner_id').where('owner_id', 'not in', accountsBefore).limit(1).execute()).toEqual([]);
  });

  it('smoke fails with the step and a reason when the target is not Tally', async () => {
    const result = await tally(['smoke', 'http://127.0.0.1:9']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/smoke FAILED at "health": /);
  });
});
