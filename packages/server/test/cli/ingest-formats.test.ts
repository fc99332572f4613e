import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { USAGE_FORMAT_NAMES } from '@tally/protocol';
import { CLI_USER_AGENT } from '../../src/cli/cli-user-agent.js';
import { ingestCommand } from '../../src/cli/ingest-command.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const docs = path.resolve(import.meta.dirname, '../../../../docs/formats');
const PASSWORD = 'correct horse battery staple';

/** POST /v1/workspaces/:workspaceId/usage (the person's own) with a raw body; the answer's status, JSON body and detected format. */
async function upload(baseUrl: string, person: { token: string; userId: string }, body: string, contentType: string, query = '') {
  const response = await fetch(`${baseUrl}/v1/workspaces/${person.userId}/usage${query}`, { method: 'POST', headers: { authorization: `Bearer ${person.token}`, 'content-type': contentType }, body });
  return { status: response.status, format: response.headers.get('tally-usage-format'), body: (await response.json()) as Record<string, unknown> };
}

/** Runs `tally ingest` in this process, returning its exit code and what it printed. */
async function ingest(options: Parameters<typeof ingestCommand>[0]): Promise<{ code: number; stdout: string }> {
  const out: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await ingestCommand(options), stdout: out.join('') };
  } finally {
    write.mockRestore();
    quiet.mockRestore();
  }
}

describe('uploading usage in other formats', () => {
  let server: TestApp;
  let dir: string;
  beforeAll(async () => {
    server = await startTestApp({ engine: engineSetups()[0]! });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-formats-cli-'));
  });
  afterAll(async () => {
    await server?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('POST /v1/workspaces/:workspaceId/usage detects the format, takes JSON and CSV content types, and says what it read', async () => {
    const user = await signUp(server.baseUrl, 'formats');
    const otel = await upload(server.baseUrl, user, await fs.readFile(path.join(docs, 'otel.jsonl'), 'utf8'), 'application/json');
    expect(otel).toMatchObject({ status: 200, format: 'otel', body: { lines: 2, inserted: 4, rejected: 0 } });
    const csv = await upload(server.baseUrl, user, await fs.readFile(path.join(docs, 'csv-default.csv'), 'utf8'), 'text/csv');
    expect(csv).toMatchObject({ status: 200, format: 'csv', body: { inserted: 5 } });
    const mapping = await fs.readFile(path.join(docs, 'csv-mapped.mapping.json'), 'utf8');
    const mapped = await upload(server.baseUrl, user, await fs.readFile(path.join(docs, 'csv-mapped.csv'), 'utf8'), 'text/csv', `?mapping=${encodeURIComponent(mapping)}`);
    expect(mapped).toMatchObject({ status: 200, format: 'csv', body: { inserted: 3 } });
    // Told the format, the content is read as that format whatever it looks like: here the
    // Responses objects pass for Anthropic messages (input_tokens, created_at), the rest is refused.
    const forced = await upload(server.baseUrl, user, await fs.readFile(path.join(docs, 'openai.jsonl'), 'utf8'), 'application/x-ndjson', '?format=anthropic');
    expect(forced).toMatchObject({ status: 200, format: 'anthropic', body: { inserted: 2, rejected: 7 } });
    expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/usage/overview`, { token: user.token })).body).toMatchObject({ records: 14 });
  });

  it('answers a bad format, mapping or CSV header with VALIDATION_FAILED, and JSON routes still parse JSON', async () => {
    const user = await signUp(server.baseUrl, 'formats-bad');
    expect(await upload(server.baseUrl, user, '{}\n', 'application/x-ndjson', '?format=excel')).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/format must be one of tally, openai/) } } });
    expect(await upload(server.baseUrl, user, 'a,b\n1,2\n', 'text/csv', '?mapping=nope')).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    // A CSV no format fits: a typed error naming every format tried and why, and the header for a mapping.
    const unknown = await upload(server.baseUrl, user, 'a,b\n1,2\n', 'text/csv');
    expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'USAGE_FORMAT_UNKNOWN', message: expect.stringMatching(/csv: no column for ts, model/), details: { csvHeader: ['a', 'b'] } } } });
    const tried = (unknown.body as { error: { details: { tried: Array<{ format: string; reason: string }> } } }).error.details.tried;
    expect(tried.map((t) => t.format).sort()).toEqual([...USAGE_FORMAT_NAMES].sort());
    expect(tried.find((t) => t.format === 'cursor')?.reason).toMatch(/looks for a Cursor export header/);
    // JSON of a shape no format knows: the same error; a mapping of the wrong shape is VALIDATION_FAILED.
    expect(await upload(server.baseUrl, user, '{"event":"click"}\n', 'application/x-ndjson')).toMatchObject({ status: 400, body: { error: { code: 'USAGE_FORMAT_UNKNOWN', details: { tried: expect.arrayContaining([{ format: 'bedrock', reason: expect.stringMatching(/ModelInvocationLog/) }]) } } } });
    expect(await upload(server.baseUrl, user, 'a,b\n1,2\n', 'text/csv', `?mapping=${encodeURIComponent('{"a":1}')}`)).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/mapping/) } } });
    // The usage routes stream JSON bodies; the others still parse them (signUp above posted JSON).
    expect((await rest(server.baseUrl, 'POST', '/v1/auth/login', { json: { email: user.email, password: PASSWORD } })).status).toBe(200);
  });

  it('tally ingest sends a CSV in parts with the header in front of each, numbering bad rows in the whole file', async () => {
    const user = await signUp(server.baseUrl, 'formats-cli');
    const rows = Array.from({ length: 2000 }, (_, i) => `${new Date(Date.parse('2026-11-20T00:00:00Z') + i * 1000).toISOString()},gpt-4o-mini,"team, ${i % 3}",${1000 + i},${i % 2 ? 512 : 0},${10 + (i % 90)}`);
    rows[1498] = '2026-11-20T10:00:00Z,gpt-4o-mini,x,lots,0,1';
    const file = path.join(dir, 'usage.csv');
    await fs.writeFile(file, `timestamp,model,project,prompt_tokens,cached_tokens,completion_tokens\n${rows.join('\n')}\n`);
    const options = { file, url: server.baseUrl, email: user.email, password: PASSWORD, partBytes: 4096 };
    const first = await ingest(options);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Format: csv (detected)');
    expect(first.stdout).toContain('2000 lines: 1999 stored, 0 already there, 1 rejected');
    // Row 1499 of the data is line 1500 of the file (the header is line 1).
    expect(first.stdout).toMatch(/line 1500: prompt_tokens: expected a whole number/);
    const second = await ingest(options);
    expect(second.stdout).toContain('1999 already there');
  });

  it('tally ingest cuts pretty-printed JSON between documents and applies --format and --mapping', async () => {
    const user = await signUp(server.baseUrl, 'formats-pretty');
    const docsText = (await fs.readFile(path.join(docs, 'otel.jsonl'), 'utf8')).trim().split('\n');
    const pretty = Array.from({ length: 10 }, (_, i) => JSON.stringify(JSON.parse(docsText[i % 2]!.replaceAll('"spanId":"', `"spanId":"${i}`)), null, 2)).join('\n');
    const file = path.join(dir, 'spans.json');
    await fs.writeFile(file, `${pretty}\n`);
    const result = await ingest({ file, url: server.baseUrl, email: user.email, password: PASSWORD, partBytes: 2048 });
    expect(result.stdout).toContain('Format: otel (detected)');
    expect(result.stdout).toContain('10 lines: 20 stored, 0 already there, 0 rejected');
    // The CLI's log-in is a session named as the CLI, not as an anonymous Node.js program.
    const sessions = await rest<{ sessions: Array<{ device: string }> }>(server.baseUrl, 'GET', '/v1/sessions', { token: user.token });
    expect(sessions.body.sessions.map((s) => s.device)).toContain(CLI_USER_AGENT);
    expect(CLI_USER_AGENT).toMatch(/^tally-cli\/\d+\.\d+\.\d+$/);

    const mapped = await ingest({ file: path.join(docs, 'csv-mapped.csv'), url: server.baseUrl, email: user.email, password: PASSWORD, mapping: path.join(docs, 'csv-mapped.mapping.json') });
    expect(mapped.stdout).toContain('3 lines: 3 stored');
    const forced = await ingest({ file: path.join(docs, 'litellm.csv'), url: server.baseUrl, email: user.email, password: PASSWORD, format: 'litellm' });
    expect(forced.stdout).toContain('Format: litellm\n');
    expect(forced.stdout).toContain('4 lines: 3 stored');
    expect((await ingest({ file, url: server.baseUrl, email: user.email, password: PASSWORD, format: 'xml' })).code).toBe(2);
  });

  it('POST /v1/workspaces/:workspaceId/usage reads every new format sample, gzip (by content or Content-Encoding) and UTF-16 LE/BE with a BOM', async () => {
    const user = await signUp(server.baseUrl, 'formats-new');
    const post = async (bytes: Uint8Array, headers: Record<string, string> = {}, query = '') => {
      const body = new Blob([new Uint8Array(bytes)]);
      const response = await fetch(`${server.baseUrl}/v1/workspaces/${user.userId}/usage${query}`, { method: 'POST', headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/octet-stream', ...headers }, body });
      return { status: response.status, format: response.headers.get('tally-usage-format'), body: (await response.json()) as Record<string, unknown> };
    };
    const sample = (name: string) => fs.readFile(path.join(docs, name));
    const bedrockMapping = `?mapping=${encodeURIComponent(await fs.readFile(path.join(docs, 'bedrock.mapping.json'), 'utf8'))}`;
    const expected: Array<[string, string, number, string?]> = [
      ['codex.jsonl', 'codex', 3],
      ['gemini-cli-telemetry.txt', 'gemini-cli', 2],
      ['cursor.csv', 'cursor', 5],
      ['bedrock.jsonl', 'bedrock', 5, bedrockMapping],
      ['openrouter.jsonl', 'openrouter', 4],
      ['langfuse.jsonl', 'langfuse', 3],
      ['helicone.jsonl', 'helicone', 3],
    ];
    for (const [file, format, inserted, query] of expected) {
      expect(await post(await sample(file), {}, query), file).toMatchObject({ status: 200, format, body: { inserted, rejected: 0 } });
    }
    // The same files again, compressed or re-encoded: all already there, nothing new.
    const cursor = await sample('cursor.csv');
    expect(await post(gzipSync(cursor))).toMatchObject({ status: 200, format: 'cursor', body: { inserted: 0, duplicates: 5 } });
    expect(await post(gzipSync(await sample('codex.jsonl')), { 'content-encoding': 'gzip' })).toMatchObject({ status: 200, format: 'codex', body: { duplicates: 3 } });
    const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(cursor.toString('utf8'), 'utf16le')]);
    expect(await post(utf16le, { 'content-type': 'text/csv' })).toMatchObject({ status: 200, format: 'cursor', body: { duplicates: 5 } });
    const utf16be = Buffer.from(utf16le);
    for (let i = 0; i < utf16be.length; i += 2) [utf16be[i], utf16be[i + 1]] = [utf16be[i + 1]!, utf16be[i]!];
    expect(await post(gzipSync(utf16be), { 'content-encoding': 'gzip' })).toMatchObject({ status: 200, format: 'cursor', body: { duplicates: 5 } });
    // What cannot be read is refused with a typed error, and the connection still serves the next request.
    expect(await post(cursor, { 'content-encoding': 'gzip' })).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/not gzip data/) } } });
    expect(await post(cursor, { 'content-encoding': 'br' })).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', message: expect.stringMatching(/br is not supported/) } } });
    expect(await post(gzipSync(cursor).subarray(0, 30))).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect((await rest(server.baseUrl, 'GET', `/v1/workspaces/${user.userId}/usage/overview`, { token: user.token })).body).toMatchObject({ records: 25 });
  });

  it('tally ingest reads .gz and UTF-16 files, and sends a Codex file of many sessions in parts cut between sessions', async () => {
    const user = await signUp(server.baseUrl, 'formats-cli-gz');
    const codex = (await fs.readFile(path.join(docs, 'codex.jsonl'), 'utf8')).trim().split('\n');
    // Twenty sessions, each the sample with its own id: parts of 4 KiB must not split one.
    const sessions = Array.from({ length: 20 }, (_, k) => codex.map((l) => l.replaceAll('0199a3f2-5b1c-7e40-9c61-2f4d8e1a7b30', `session-${k}`)).join('\n')).join('\n') + '\n';
    const gz = path.join(dir, 'rollouts.jsonl.gz');
    await fs.writeFile(gz, gzipSync(sessions));
    const options = { url: server.baseUrl, email: user.email, password: PASSWORD, partBytes: 4096 };
    const first = await ingest({ ...options, file: gz });
    expect(first.stdout).toContain('Format: codex (detected)');
    expect(first.stdout).toContain(`${codex.length * 20} lines: 60 stored, 0 already there, 0 rejected`);
    // Cut inside a session, a part would restart its cumulative counts and count them again.
    expect((await ingest({ ...options, file: gz })).stdout).toContain('60 already there');
    const utf16 = path.join(dir, 'cursor-utf16.csv');
    await fs.writeFile(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(await fs.readFile(path.join(docs, 'cursor.csv'), 'utf8'), 'utf16le')]));
    const second = await ingest({ ...options, file: utf16 });
    expect(second.stdout).toContain('Format: cursor (detected)');
    expect(second.stdout).toContain('5 lines: 5 stored');
    const notGzip = path.join(dir, 'plain.jsonl.gz');
    await fs.writeFile(notGzip, '{}\n');
    await expect(ingest({ ...options, file: notGzip })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
