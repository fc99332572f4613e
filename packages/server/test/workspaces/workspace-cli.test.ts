import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWorkspaceArgs } from '../../src/cli/workspace-args.js';
import { workspaceCommand } from '../../src/cli/workspace-command.js';
import { engineSetups } from '../support/engines.js';
import { signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * `tally workspace ...`: the words are read into one action (or a message saying what is
 * missing), then run against a real server: a team made, a colleague invited by link and joined,
 * their role changed, ownership handed over, and the former owner leaving; workspaces and people
 * named by name and email.
 */
const PASSWORD = 'correct horse battery staple';
const engine = engineSetups().find((e) => e.skipReason === null && e.name === 'postgres+redis') ?? engineSetups()[0]!;

describe('tally workspace', () => {
  it('reads its words into an action, or says what is missing', () => {
    expect(parseWorkspaceArgs(['invite', '--workspace', 'Team', '--role', 'viewer', '--email', 'a@example.com', '--hours', '48', '--as', 'me@example.com'])).toEqual({
      action: { kind: 'invite', workspace: 'Team', role: 'viewer', email: 'a@example.com', hours: 48 },
      email: 'me@example.com',
    });
    expect(parseWorkspaceArgs(['accept', 'http://localhost:8080/join#invitation=twi_abc-_1']).action).toEqual({ kind: 'accept', token: 'twi_abc-_1' });
    expect(parseWorkspaceArgs(['create', 'Platform', 'team']).action).toEqual({ kind: 'create', name: 'Platform team' });
    expect(() => parseWorkspaceArgs(['invite', '--workspace', 'Team', '--role', 'owner'])).toThrow(/--role admin\|member\|viewer/);
    expect(() => parseWorkspaceArgs(['members'])).toThrow(/needs --workspace W/);
    expect(() => parseWorkspaceArgs(['role', '--workspace', 'T', 'someone', 'boss'])).toThrow(/ROLE must be one of owner, admin, member, viewer/);
    expect(() => parseWorkspaceArgs(['dance'])).toThrow(/workspace needs list, create/);
  });

  describe('against a server', () => {
    let server: TestApp;
    let owner: Awaited<ReturnType<typeof signUp>>;
    let colleague: Awaited<ReturnType<typeof signUp>>;
    beforeAll(async () => {
      server = await startTestApp({ engine });
      owner = await signUp(server.baseUrl, 'cli-owner');
      colleague = await signUp(server.baseUrl, 'cli-colleague');
    }, 120_000);
    afterAll(async () => {
      await server?.close();
    });

    async function run(who: { email: string }, words: string[]): Promise<string> {
      const lines: string[] = [];
      const code = await workspaceCommand({ url: server.baseUrl, email: who.email, password: PASSWORD, action: parseWorkspaceArgs(words).action }, (line) => lines.push(line));
      expect(code).toBe(0);
      return lines.join('\n');
    }

    it('makes a team, invites and admits a colleague, changes their role, hands the team over and leaves it', async () => {
      expect(await run(owner, ['create', 'Platform team'])).toMatch(/^Created Platform team \(.+\); you own it\.$/);
      const invited = await run(owner, ['invite', '--workspace', 'platform TEAM', '--role', 'viewer']);
      const link = /^http:\/\/\S+#invitation=twi_\S+$/m.exec(invited)?.[0];
      expect(link, invited).toBeDefined();
      expect(await run(colleague, ['accept', link!])).toMatch(/^Joined Platform team \(.+\) as viewer\.$/);
      expect(await run(owner, ['invitations', '--workspace', 'Platform team'])).toMatch(/ accepted +viewer +\(link\)/);
      expect(await run(owner, ['role', '--workspace', 'Platform team', colleague.email.toUpperCase(), 'member'])).toBe(`${colleague.email} is now member in Platform team.`);
      expect(await run(owner, ['members', '--workspace', 'Platform team'])).toMatch(new RegExp(`${colleague.userId} +member +${colleague.email}`));
      expect(await run(owner, ['transfer', '--workspace', 'Platform team', colleague.email])).toBe(`${colleague.email} owns Platform team now; you are an admin.`);
      expect(await run(owner, ['leave', '--workspace', 'Platform team'])).toBe('You left Platform team.');
      const theirs = await run(colleague, ['list']);
      expect(theirs).toMatch(/owner +Personal \(personal\)/);
      expect(theirs).toMatch(/owner +Platform team$/m);
      await expect(run(owner, ['members', '--workspace', 'Platform team'])).rejects.toThrow(/you are in no workspace "Platform team"/);
    }, 60_000);
  });
});
