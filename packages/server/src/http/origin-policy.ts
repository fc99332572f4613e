/**
 * Which browser origins may call the API and open sockets: the server's own (the page it serves)
 * and those configured. A request with no Origin header is not from a browser page and passes;
 * its credentials are checked like any other.
 */
export function createOriginPolicy(allowed: readonly string[]) {
  const allowList = new Set(allowed.map((o) => new URL(o).origin));
  return function isAllowedOrigin(origin: string | undefined, host: string | undefined): boolean {
    if (!origin) return true;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return false;
    }
    return allowList.has(parsed.origin) || (host !== undefined && parsed.host === host);
  };
}

export type OriginPolicy = ReturnType<typeof createOriginPolicy>;
