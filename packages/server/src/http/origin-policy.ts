import net from 'node:net';
import { isLoopbackName } from '../config/network-exposure.js';

/** Why a request was refused, or 'ok'. */
export type OriginVerdict = 'ok' | 'origin' | 'host';

export interface OriginPolicy {
  /**
   * For state-changing requests and WebSocket upgrades. The Host header must name this server:
   * the public URL's host, a TALLY_ALLOWED_HOSTS entry, a loopback name or an IP address. A page
   * on a rebinding domain (attacker.example resolving to 127.0.0.1) sends its own name there and
   * is refused. The Origin, when there is one (browsers), must be a configured origin or the
   * page the server itself served (same host as the request's). No Origin: not from a browser
   * page; its credentials are checked like any other.
   */
  check(origin: string | undefined, host: string | undefined): OriginVerdict;
  /** Whether a foreign page of this origin gets CORS headers: configured origins only. */
  corsAllowed(origin: string): boolean;
}

export function createOriginPolicy(config: { publicUrl: string; corsOrigins: readonly string[]; allowedHosts: readonly string[] }): OriginPolicy {
  const allowList = new Set([config.publicUrl, ...config.corsOrigins].map((o) => new URL(o).origin));
  const names = new Set([new URL(config.publicUrl).hostname.toLowerCase(), ...config.allowedHosts.filter((h) => !h.startsWith('*.'))]);
  const suffixes = config.allowedHosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));

  function hostAllowed(host: string | undefined): boolean {
    const hostname = hostnameOf(host);
    if (hostname === null) return false;
    return isLoopbackName(hostname) || net.isIP(hostname.replace(/^\[|\]$/g, '')) !== 0 || names.has(hostname) || suffixes.some((s) => hostname.endsWith(s));
  }

  return {
    check(origin, host) {
      if (!hostAllowed(host)) return 'host';
      if (origin === undefined) return 'ok';
      let parsed: URL;
      try {
        parsed = new URL(origin);
      } catch {
        return 'origin';
      }
      return allowList.has(parsed.origin) || parsed.host === host?.toLowerCase() ? 'ok' : 'origin';
    },
    corsAllowed(origin) {
      try {
        return allowList.has(new URL(origin).origin);
      } catch {
        return false;
      }
    },
  };
}

/** The lower-cased host name of a Host header (without its port), or null when it is not one. */
function hostnameOf(host: string | undefined): string | null {
  if (!host) return null;
  try {
    const url = new URL(`http://${host}`);
    return url.host === host.toLowerCase() || url.hostname === host.toLowerCase() || `${url.hostname}:80` === host.toLowerCase() ? url.hostname : null;
  } catch {
    return null;
  }
}

