import crypto from 'node:crypto';
import { AppError } from '../app-error.js';

/**
 * Admin keys at rest: AES-256-GCM under the server's connector key, stored as
 * `v1.<base64url(iv | tag | ciphertext)>`. The version prefix lets a later format (or key
 * rotation) tell old rows apart. The authentication tag makes a row encrypted under another key,
 * or altered, fail to open rather than decrypt to garbage. The connection's id is the additional
 * data, so a ciphertext copied onto another workspace's connection does not open there.
 */
const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface AdminKeyCipher {
  encrypt(plain: string, connectionId: string): string;
  /** Throws CONNECTOR_KEY_UNREADABLE when the row was not sealed with this key (or was altered). */
  decrypt(sealed: string, connectionId: string): string;
}

export function createAdminKeyCipher(key: Buffer): AdminKeyCipher {
  if (key.length !== 32) throw new Error('the connector key must be 32 bytes');
  return {
    encrypt(plain, connectionId) {
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(connectionId));
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return VERSION + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
    },
    decrypt(sealed, connectionId) {
      if (!sealed.startsWith(VERSION)) throw new AppError('CONNECTOR_KEY_UNREADABLE');
      const raw = Buffer.from(sealed.slice(VERSION.length), 'base64url');
      if (raw.length <= IV_BYTES + TAG_BYTES) throw new AppError('CONNECTOR_KEY_UNREADABLE');
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(connectionId));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new AppError('CONNECTOR_KEY_UNREADABLE');
      }
    },
  };
}

/** What the web app shows of a key: its last 4 characters. */
export function keyHintOf(adminKey: string): string {
  return adminKey.slice(-4);
}
