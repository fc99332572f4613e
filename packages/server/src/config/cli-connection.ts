/**
 * Everything the CLI's client commands read from the environment, in one place (the server's own
 * settings are config.ts): where the server is, and the account they sign in with.
 */
type Env = Record<string, string | undefined>;

/**
 * The server a CLI command talks to, found the way `npm start` was told: `--url`, else TALLY_URL,
 * else this machine at the port in TALLY_PORT or PORT (8080 by default), as `tally serve` listens.
 */
export function serverUrl(given: string | undefined, env: Env = process.env): string {
  const url = given ?? nonEmpty(env['TALLY_URL']);
  if (url) return url.replace(/\/$/, '');
  const port = nonEmpty(env['TALLY_PORT']) ?? nonEmpty(env['PORT']) ?? '8080';
  return `http://127.0.0.1:${port}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() !== '' ? value.trim() : undefined;
}

/** The account a client command signs in with: TALLY_EMAIL and TALLY_PASSWORD (the CLI asks for what is missing). */
export function cliCredentials(env: Env = process.env): { email?: string; password?: string } {
  const email = nonEmpty(env['TALLY_EMAIL']);
  const password = env['TALLY_PASSWORD'] || undefined;
  return { ...(email ? { email } : {}), ...(password ? { password } : {}) };
}
