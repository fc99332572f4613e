import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { mapLimited } from './concurrency.js';

export interface BenchUser {
  email: string;
  userId: string;
  accessToken: string;
  /** Kept so more sessions of the same account can be opened (log-ins). */
  password: string;
}

/**
 * Users made through the product's REST API (sign-up is open on a fresh node): the same path a
 * person takes, password hashing included. Sign-up is throttled per IP only after failures, so a
 * few dozen sign-ups from the harness pass.
 */
export async function createBenchUsers(baseUrl: string, count: number): Promise<BenchUser[]> {
  const run = randomUUID().slice(0, 8);
  return mapLimited(Array.from({ length: count }, (_, i) => i), 4, async (i) => {
    const email = `bench-${run}-${i}@bench.tally.test`;
    const password = `Bench-password-${run}-${i}!`;
    const response = await fetch(`${baseUrl}/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (response.status !== 201) throw new Error(`sign-up of ${email} answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { accessToken: string; user: { id: string } };
    return { email, userId: body.user.id, accessToken: body.accessToken, password };
  });
}

/**
 * `perUser` more sessions of each user, each a log-in (password check included) as a person's
 * other browser or device makes: sockets spread over them do not all share one session, so the
 * node's memory of sessions is not what answers most connects.
 */
export async function logInSessions(baseUrl: string, users: BenchUser[], perUser: number): Promise<BenchUser[]> {
  const logins = users.flatMap((user) => Array.from({ length: perUser }, () => user));
  return mapLimited(logins, 4, async (user) => {
    const response = await fetch(`${baseUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    if (response.status !== 200) throw new Error(`log-in of ${user.email} answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { accessToken: string };
    return { ...user, accessToken: body.accessToken };
  });
}

// node:http with keep-alive rather than fetch: the harness's own cost per ticket stays small.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One single-use WebSocket ticket, as the web app gets it before each connect. */
export function fetchTicket(baseUrl: string, user: BenchUser): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}/v1/ws-tickets`, { method: 'POST', agent, headers: { authorization: `Bearer ${user.accessToken}` } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        if (response.statusCode !== 201) reject(new Error(`ws-tickets answered ${response.statusCode}: ${body}`));
        else resolve((JSON.parse(body) as { ticket: string }).ticket);
      });
    });
    request.on('error', reject);
    request.end();
  });
}
