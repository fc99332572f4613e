import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors.js';

describe('the error-code table', () => {
  it('is documented in docs/PROTOCOL.md, code by code with its status', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../../docs/PROTOCOL.md'), 'utf8');
    const section = doc.split('<!-- error-codes:start -->')[1]?.split('<!-- error-codes:end -->')[0] ?? '';
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    // Regenerate with: node --import tsx scripts/generate-error-docs.ts
    expect(documented).toEqual(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]));
  });

  it('names codes AREA_WHAT and maps each to an HTTP error status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });
});
