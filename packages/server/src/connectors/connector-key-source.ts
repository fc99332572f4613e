import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** The file, in the data folder, holding the embedded default's generated connector key. */
export const CONNECTOR_KEY_FILE = 'connector-key';

/**
 * Reads TALLY_CONNECTOR_KEY: 32 bytes as 64 hex characters or as base64/base64url (43-44
 * characters). Null when it is neither, so config validation can name the variable.
 */
export function parseConnectorKey(text: string): Buffer | null {
  const value = text.trim();
  if (/^[0-9a-f]{64}$/i.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(value)) {
    const bytes = Buffer.from(value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
    return bytes.length === 32 ? bytes : null;
  }
  return null;
}

/**
 * The key admin keys are encrypted with: the configured one; else, on the embedded default only,
 * one generated once into the data folder as a 0600 file. Not in the database on purpose: a copy
 * of the database (a backup, a dump) must not carry the means to open the keys it holds. On
 * PostgreSQL without a configured key there is none (null): nodes have no shared folder to agree
 * on a generated one, so creating a connector is refused (CONNECTOR_ENCRYPTION_UNAVAILABLE).
 */
export async function resolveConnectorKey(options: { configured: Buffer | undefined; embedded: boolean; dataDir: string }): Promise<Buffer | null> {
  if (options.configured) return options.configured;
  if (!options.embedded) return null;
  const file = path.join(options.dataDir, CONNECTOR_KEY_FILE);
  try {
    const existing = parseConnectorKey(await fs.readFile(file, 'utf8'));
    if (existing) return existing;
    throw new Error(`${file} does not hold a 32-byte key (64 hex characters); restore it or set TALLY_CONNECTOR_KEY`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = crypto.randomBytes(32);
  await fs.mkdir(options.dataDir, { recursive: true });
  // 'wx': two starts racing for the folder cannot both write one (the data folder lock holds too).
  await fs.writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
