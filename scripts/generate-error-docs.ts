// Rewrites the error-code table of docs/PROTOCOL.md from packages/protocol/src/errors.ts.
// Run `node --import tsx scripts/generate-error-docs.ts` after changing the table; a test fails when stale.
import fs from 'node:fs';
import path from 'node:path';
import { ERROR_CODES } from '../packages/protocol/src/errors.js';

const file = path.resolve(import.meta.dirname, '../docs/PROTOCOL.md');
const doc = fs.readFileSync(file, 'utf8');
const [before, rest] = doc.split('<!-- error-codes:start -->');
const after = rest?.split('<!-- error-codes:end -->')[1];
if (before === undefined || after === undefined) throw new Error('docs/PROTOCOL.md lacks the error-codes markers');
const rows = Object.entries(ERROR_CODES).map(([code, { status, message }]) => `| \`${code}\` | ${status} | ${message} |`);
const table = ['| code | HTTP status | default message |', '|---|---|---|', ...rows].join('\n');
fs.writeFileSync(file, `${before}<!-- error-codes:start -->\n${table}\n<!-- error-codes:end -->${after}`);
console.log(`docs/PROTOCOL.md: ${rows.length} error codes`);
