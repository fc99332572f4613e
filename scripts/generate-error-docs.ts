// Rewrites the error-code and close-code tables of docs/PROTOCOL.md from packages/protocol
// (errors.ts, close-codes.ts). Run `node --import tsx scripts/generate-error-docs.ts` after changing
// either table; a test fails when the docs are stale.
import fs from 'node:fs';
import path from 'node:path';
import { CLOSE_CODE_TABLE } from '../packages/protocol/src/close-codes.js';
import { ERROR_CODES } from '../packages/protocol/src/errors.js';

const file = path.resolve(import.meta.dirname, '../docs/PROTOCOL.md');

/** Replaces what lies between `<!-- name:start -->` and `<!-- name:end -->` with `table`. */
function withTable(doc: string, name: string, table: string): string {
  const [before, rest] = doc.split(`<!-- ${name}:start -->`);
  const after = rest?.split(`<!-- ${name}:end -->`)[1];
  if (before === undefined || after === undefined) throw new Error(`docs/PROTOCOL.md lacks the ${name} markers`);
  return `${before}<!-- ${name}:start -->\n${table}\n<!-- ${name}:end -->${after}`;
}

const errorRows = Object.entries(ERROR_CODES).map(([code, { status, message }]) => `| \`${code}\` | ${status} | ${message} |`);
const closeRows = Object.entries(CLOSE_CODE_TABLE).map(([name, { code, when }]) => `| ${code} | \`${name}\` | ${when} |`);
let doc = fs.readFileSync(file, 'utf8');
doc = withTable(doc, 'error-codes', ['| code | HTTP status | default message |', '|---|---|---|', ...errorRows].join('\n'));
doc = withTable(doc, 'close-codes', ['| close code | name | when |', '|---|---|---|', ...closeRows].join('\n'));
fs.writeFileSync(file, doc);
console.log(`docs/PROTOCOL.md: ${errorRows.length} error codes, ${closeRows.length} close codes`);
