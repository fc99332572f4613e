/**
 * A browser without a page: fetch with a cookie jar (name, path, expiry; per host, as browsers
 * keep them) and redirects followed by hand, so a test sees every hop. `hosts` plays /etc/hosts:
 * a public origin the server is configured with (http://tally.test) maps to where it listens.
 */
export interface FakeBrowserResponse {
  status: number;
  /** Absolute, resolved against the request URL; null when the response is no redirect. */
  location: string | null;
  setCookies: string[];
  text: string;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expiresAt: number | null;
}

export class FakeBrowser {
  private readonly jar = new Map<string, StoredCookie[]>();

  constructor(private readonly hosts: Record<string, string> = {}) {}

  /** One request, no redirect followed; cookies sent and stored as a browser would. */
  async request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<FakeBrowserResponse> {
    const target = new URL(url);
    const cookie = this.cookieHeader(target);
    const real = new URL(this.hosts[target.origin] ? this.hosts[target.origin]! + target.pathname + target.search : target.href);
    const response = await fetch(real, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...init.headers },
      body: init.body,
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) this.store(target, line);
    const location = response.headers.get('location');
    return { status: response.status, location: location ? new URL(location, target).href : null, setCookies, text: await response.text() };
  }

  /**
   * Follows redirects from `url` until one leads to a URL `stop` accepts (returned, not fetched)
   * or a response is no redirect (an error). `headersFor` adds headers to a hop, e.g. the user
   * logging in at the provider's interaction page.
   */
  async follow(url: string, stop: (url: URL) => boolean, headersFor: (url: URL) => Record<string, string> = () => ({})): Promise<string> {
    let next = url;
    for (let hop = 0; hop < 20; hop++) {
      if (stop(new URL(next))) return next;
      const response = await this.request(next, { headers: headersFor(new URL(next)) });
      if (!response.location) throw new Error(`no redirect from ${next}: ${response.status} ${response.text.slice(0, 300)}`);
      next = response.location;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** The value of a cookie this browser holds for a URL's host, if any. */
  cookie(url: string, name: string): string | undefined {
    return this.cookiesFor(new URL(url)).find((c) => c.name === name)?.value;
  }

  private cookieHeader(url: URL): string {
    return this.cookiesFor(url)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private cookiesFor(url: URL): StoredCookie[] {
    const now = Date.now();
    return (this.jar.get(url.hostname) ?? []).filter(
      (c) => (c.expiresAt === null || c.expiresAt > now) && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)),
    );
  }

  private store(url: URL, line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const attr = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const path = attr('path') ?? '/';
    const maxAge = attr('max-age');
    const expires = attr('expires');
    const expiresAt = maxAge !== undefined ? Date.now() + Number(maxAge) * 1000 : expires !== undefined ? Date.parse(expires) : null;
    const kept = (this.jar.get(url.hostname) ?? []).filter((c) => !(c.name === name && c.path === path));
    if (expiresAt === null || expiresAt > Date.now()) kept.push({ name, value, path, expiresAt });
    this.jar.set(url.hostname, kept);
  }
}

/** A Set-Cookie line's attributes, lower-cased names: `{httponly: true, samesite: 'Strict', path: '/v1/auth'}`. */
export function cookieAttributes(setCookies: string[], name: string): Record<string, string | true> | undefined {
  const line = setCookies.find((l) => l.startsWith(`${name}=`));
  if (!line) return undefined;
  const [, ...attributes] = line.split(';').map((s) => s.trim());
  return Object.fromEntries(
    attributes.map((a) => {
      const eq = a.indexOf('=');
      return eq === -1 ? [a.toLowerCase(), true] : [a.slice(0, eq).toLowerCase(), a.slice(eq + 1)];
    }),
  );
}
