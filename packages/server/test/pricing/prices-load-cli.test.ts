import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitForUpdate } from '@pydantic/genai-prices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `tally prices load FILE`: a checked genai-prices data file stored for every node; a bad one changes nothing. */
const execute = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../../..');

describe('tally prices load', () => {
  let dir: string;
  const tally = (args: string[]) =>
    execute(process.execPath, ['--import', 'tsx', 'packages/server/src/cli/main.ts', ...args], {
      cwd: root,
      env: { ...process.env, TALLY_DATA_DIR: dir, TALLY_DATABASE_URL: '', TALLY_REDIS_URL: '', FORCE_COLOR: '0' },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-prices-load-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('loads a data file, refuses a malformed one, and lists the catalog in use', { timeout: 240_000 }, async () => {
    const good = path.join(dir, 'data.json');
    await fs.writeFile(good, JSON.stringify(await waitForUpdate(), null, 2));
    const loaded = await tally(['prices', 'load', good, '--version', 'genai-prices 2026-12-01']);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toMatch(/Loaded genai-prices data genai-prices 2026-12-01 \(\d+ providers, \d+ models, sha256 [0-9a-f]{12}\)\./);

    const bad = path.join(dir, 'bad.json');
    await fs.writeFile(bad, JSON.stringify([{ id: 'x', name: 'X', api_pattern: 'x', models: [{ id: 'm', match: { equals: 'm' }, prices: { input_mtok: 'free' } }] }]));
    const refused = await tally(['prices', 'load', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('The genai-prices data file is not valid');

    const list = await tally(['prices', 'list']);
    expect(list.stdout).toContain('Catalog: genai-prices data genai-prices 2026-12-01, loaded ');
  });
});
