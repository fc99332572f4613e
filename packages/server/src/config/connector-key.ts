/**
 * Reads TALLY_CONNECTOR_KEY: 32 bytes as 64 hex characters or as base64/base64url (43-44
 * characters). Null when it is neither, so config validation can name the variable. Here, in
 * config/, because both the configuration and the connectors' key source read it.
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
