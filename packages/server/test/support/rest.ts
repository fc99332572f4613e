/** Minimal REST calls for tests: status and JSON body, nothing hidden. */
export interface RestResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export async function rest<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; json?: unknown; body?: string; contentType?: string } = {},
): Promise<RestResponse<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/x-ndjson';
    body = options.body;
  }
  const response = await fetch(baseUrl + path, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

let users = 0;

/** Signs up a fresh user; returns its token and id. */
export async function signUp(baseUrl: string, label = 'user'): Promise<{ token: string; userId: string; email: string; refreshToken: string }> {
  const email = `${label}-${process.pid}-${++users}-${Date.now()}@example.com`;
  const res = await rest<{ accessToken: string; refreshToken: string; user: { id: string } }>(baseUrl, 'POST', '/v1/auth/signup', {
    json: { email, password: 'correct horse battery staple' },
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.accessToken, userId: res.body.user.id, email, refreshToken: res.body.refreshToken };
}

export async function ticketFor(baseUrl: string, token: string): Promise<string> {
  const res = await rest<{ ticket: string }>(baseUrl, 'POST', '/v1/ws-tickets', { token });
  if (res.status !== 201) throw new Error(`ticket failed: ${res.status}`);
  return res.body.ticket;
}
