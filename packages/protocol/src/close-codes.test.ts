import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODE_TABLE, CLOSE_CODES } from './close-codes.js';

describe('the close-code table', () => {
  it('is documented in docs/PROTOCOL.md, code by code with its name', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../../docs/PROTOCOL.md'), 'utf8');
    const section = doc.split('<!-- close-codes:start -->')[1]?.split('<!-- close-codes:end -->')[0] ?? '';
    const documented = [...section.matchAll(/^\| (\d{4}) \| `([A-Z_]+)` \|/gm)].map((m) => [Number(m[1]), m[2]]);
    // Regenerate with: node --import tsx scripts/generate-error-docs.ts
    expect(documented).toEqual(Object.entries(CLOSE_CODE_TABLE).map(([name, { code }]) => [code, name]));
  });

  it('gives each name one code, standard (1000-1015) or private (4000-4999), none twice', () => {
    const codes = Object.values(CLOSE_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect((code >= 1000 && code <= 1015) || (code >= 4000 && code <= 4999)).toBe(true);
    expect(CLOSE_CODES.UNAUTHORIZED).toBe(4401);
  });
});
