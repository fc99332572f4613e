/**
 * The server a CLI command talks to, found the way `npm start` was told: `--url`, else TALLY_URL,
 * else this machine at the port in TALLY_PORT or PORT (8080 by default), as `tally serve` listens.
 */
export function serverUrl(given: string | undefined, env: Record<string, string | undefined> = process.env): string {
  const url = given ?? nonEmpty(env['TALLY_URL']);
  if (url) return url.replace(/\/$/, '');
  const port = nonEmpty(env['TALLY_PORT']) ?? nonEmpty(env['PORT']) ?? '8080';
  return `http://127.0.0.1:${port}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() !== '' ? value.trim() : undefined;
}
