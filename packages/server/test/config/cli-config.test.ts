import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../../..');

describe('tally serve with a wrong configuration value', () => {
  it('stops with one clear line naming the variable', async () => {
    const result = await run(process.execPath, ['--import', 'tsx', 'packages/server/src/cli/main.ts', 'serve'], {
      cwd: root,
      env: { ...process.env, TALLY_PORT: 'not-a-port' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tally: Invalid configuration: TALLY_PORT /);
  });
});
