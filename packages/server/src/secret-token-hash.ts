import crypto from 'node:crypto';

/**
 * How every random secret Tally hands out is stored: API keys, refresh tokens, password-reset
 * tokens, OIDC login states and workspace invitations. They are 128+ random bits, so a fast hash
 * is as safe as a slow one and lets a request find its row by an indexed lookup; the database
 * never holds a usable secret.
 */
export function hashSecretToken(value: string): string {
  return crypto.createHash('sha256').update(value).digest('hex');
}
