import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseConnectorKey } from '../config/connector-key.js';

export { parseConnectorKey };

/** The file, in the data folder, holding the embedded default's generated connector key. */
export const CONNECTOR_KEY_FILE = 'connector-key';

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
