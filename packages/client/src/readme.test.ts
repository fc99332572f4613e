import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The README is the SDK's reference: every method of the REST client's interfaces must appear in
// its table, so a method added later cannot go undocumented.
const root = path.resolve(import.meta.dirname, '..');
const source = ['rest-client.ts', 'admin-client.ts', 'workspace-client.ts'].map((file) => fs.readFileSync(path.join(root, 'src', file), 'utf8')).join('\n');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

function methodsOf(interfaceName: string): string[] {
  const body = source.match(new RegExp(`export interface ${interfaceName} \\{\\n([\\s\\S]*?)\\n\\}`))?.[1];
  if (!body) throw new Error(`interface ${interfaceName} not found in the REST client's files`);
  return [...body.matchAll(/^ {2}([a-zA-Z]+)\(/gm)].map((m) => m[1]!);
}

describe('client README', () => {
  it.each([
    ['RestClient', ''],
    ['AdminClient', 'admin.'],
    ['WorkspaceClient', 'workspaces.'],
  ])('lists every method of %s', (interfaceName, prefix) => {
    const methods = methodsOf(interfaceName);
    expect(methods.length).toBeGreaterThan(5);
    const missing = methods.filter((name) => !readme.includes(`\`${prefix}${name}(`));
    expect(missing).toEqual([]);
  });
});
