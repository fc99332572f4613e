/**
 * Who can reach this server, as its configuration says: the first-admin setup (auth/) and the
 * Host check (http/origin-policy.ts) both decide from it, so it lives with the configuration.
 */

/** Names that always mean this machine. */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === '[::1]' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

/**
 * Whether people other than this machine's can reach the server: it listens beyond loopback, or
 * is published under a name that is not loopback (TALLY_PUBLIC_URL, TALLY_ALLOWED_HOSTS; a proxy
 * on this machine forwarding a public name needs one of them for its requests to be answered).
 */
export function reachableBeyondLoopback(config: { host: string; publicUrl: string; allowedHosts: readonly string[] }): boolean {
  return !isLoopbackName(config.host) || !isLoopbackName(new URL(config.publicUrl).hostname) || config.allowedHosts.length > 0;
}
