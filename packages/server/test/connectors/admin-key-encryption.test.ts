import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAdminKeyCipher } from '../../src/connectors/admin-key-cipher.js';
import { CONNECTOR_KEY_FILE, parseConnectorKey, resolveConnectorKey } from '../../src/connectors/connector-key-source.js';
import { loadConfig } from '../../src/config/config.js';
import { engineSetups } from '../support/engines.js';
import { rest, signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Admin keys at rest: sealed with AES-256-GCM under the connector key, opened only with that key
 * and for that connection; the key from TALLY_CONNECTOR_KEY, or generated once into the embedded
 * data folder as a 0600 file; on PostgreSQL without it, creating a connector is refused.
 */
describe('admin key cipher', () => {
  const key = crypto.randomBytes(32);
  const cipher = createAdminKeyCipher(key);

  it('opens what it sealed, for the same connection only, and never holds the key in clear', () => {
    const sealed = cipher.encrypt('sk-admin-secret-1234', 'conn-1');
    expect(sealed).toMatch(/^v1\./);
    expect(sealed).not.toContain('secret');
    expect(cipher.encrypt('sk-admin-secret-1234', 'conn-1')).not.toBe(sealed);
    expect(cipher.decrypt(sealed, 'conn-1')).toBe('sk-admin-secret-1234');
    expect(() => cipher.decrypt(sealed, 'conn-2')).toThrow(expect.objectContaining({ code: 'CONNECTOR_KEY_UNREADABLE' }));
    expect(() => createAdminKeyCipher(crypto.randomBytes(32)).decrypt(sealed, 'conn-1')).toThrow(expect.objectContaining({ code: 'CONNECTOR_KEY_UNREADABLE' }));
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => cipher.decrypt(tampered, 'conn-1')).toThrow(expect.objectContaining({ code: 'CONNECTOR_KEY_UNREADABLE' }));
    expect(() => cipher.decrypt('plain-text', 'conn-1')).toThrow(expect.objectContaining({ code: 'CONNECTOR_KEY_UNREADABLE' }));
  });

  it('reads TALLY_CONNECTOR_KEY as hex or base64 and refuses anything else at start-up', () => {
    expect(parseConnectorKey(key.toString('hex'))).toEqual(key);
    expect(parseConnectorKey(key.toString('base64'))).toEqual(key);
    expect(parseConnectorKey(key.toString('base64url'))).toEqual(key);
    expect(parseConnectorKey('too-short')).toBeNull();
    expect(loadConfig({ TALLY_CONNECTOR_KEY: key.toString('hex') }).connectors.key).toEqual(key);
    expect(() => loadConfig({ TALLY_CONNECTOR_KEY: 'abc' })).toThrow(/TALLY_CONNECTOR_KEY/);
  });
});

describe('the connector key source', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  it('generates the embedded default\'s key once, as a 0600 file in the data folder', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-ckey-'));
    dirs.push(dataDir);
    const first = await resolveConnectorKey({ configured: undefined, embedded: true, dataDir });
    expect(first).toHaveLength(32);
    const stat = await fs.stat(path.join(dataDir, CONNECTOR_KEY_FILE));
    expect(stat.mode & 0o777).toBe(0o600);
    expect(await resolveConnectorKey({ configured: undefined, embedded: true, dataDir })).toEqual(first);
    // A configured key wins; PostgreSQL without one has none.
    const configured = crypto.randomBytes(32);
    expect(await resolveConnectorKey({ configured, embedded: true, dataDir })).toEqual(configured);
    expect(await resolveConnectorKey({ configured: undefined, embedded: false, dataDir })).toBeNull();
  });

  it('refuses a damaged key file rather than generating a new key (that would lose every stored admin key)', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-ckey-'));
    dirs.push(dataDir);
    await fs.writeFile(path.join(dataDir, CONNECTOR_KEY_FILE), 'garbage\n', { mode: 0o600 });
    await expect(resolveConnectorKey({ configured: undefined, embedded: true, dataDir })).rejects.toThrow(/TALLY_CONNECTOR_KEY/);
  });
});

const scale = engineSetups().find((e) => e.name === 'postgres+redis')!;
describe.skipIf(scale.skipReason !== null)('connectors on PostgreSQL without TALLY_CONNECTOR_KEY', () => {
  let server: TestApp;
  afterAll(() => server?.close());

  it('refuses to create one with CONNECTOR_ENCRYPTION_UNAVAILABLE', async () => {
    server = await startTestApp({ engine: scale, env: { TALLY_CONNECTOR_KEY: '' } });
    const owner = await signUp(server.baseUrl, 'conn-nokey');
    const put = await rest<{ error: { code: string; message: string } }>(server.baseUrl, 'PUT', `/v1/workspaces/${owner.userId}/connectors/openai`, { token: owner.token, json: { adminKey: 'sk-admin-abcdefgh' } });
    expect([put.status, put.body.error.code]).toEqual([409, 'CONNECTOR_ENCRYPTION_UNAVAILABLE']);
    expect(put.body.error.message).toContain('TALLY_CONNECTOR_KEY');
    expect((await rest<{ connectors: unknown[] }>(server.baseUrl, 'GET', `/v1/workspaces/${owner.userId}/connectors`, { token: owner.token })).body.connectors).toEqual([]);
  }, 60_000);
});
