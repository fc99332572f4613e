import http from 'node:http';
import { MAX_USAGE_UPLOAD_BYTES } from '@tally/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineSetups } from '../support/engines.js';
import { signUp } from '../support/rest.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Uploads refused in whole or in part, over real HTTP with a keep-alive agent:
 * - a line with an absurd value is refused on its own, with its line number and reason, and the
 *   other lines are stored;
 * - an upload refused before its body is read (no credentials, too large, a type it does not
 *   take) answers its typed error and leaves the connection usable: the next request on the SAME
 *   socket is answered.
 */
const embedded = engineSetups().find((e) => e.name === 'embedded')!;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** The local port of the socket used: the same port is the same connection. */
  localPort: number;
  reused: boolean;
}

/** One request through `agent`, body written in chunks as a client streaming a file would. */
function send(agent: http.Agent, url: string, options: { method: string; path: string; headers?: Record<string, string>; chunks?: Buffer[] }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(options.path, url);
    const request = http.request(target, { method: options.method, agent, headers: options.headers }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: response.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, localPort: request.socket?.localPort ?? -1, reused: request.reusedSocket });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    for (const chunk of options.chunks ?? []) request.write(chunk);
    request.end();
  });
}

describe('usage upload refusals', () => {
  let server: TestApp;
  let token: string;
  let usagePath: string;

  beforeAll(async () => {
    server = await startTestApp({ engine: embedded });
    const user = await signUp(server.baseUrl, 'refusals');
    token = user.token;
    usagePath = `/v1/workspaces/${user.userId}/usage`;
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('stores the good lines of an upload and names each absurd one with its reason', async () => {
    const lines = [
      { id: 'a1', ts: '2026-11-20T10:00:00Z', model: 'gpt-4o', inputTokens: 1000, outputTokens: 50 },
      { id: 'a2', ts: '2026-11-20T10:01:00Z', model: 'gpt-4o', inputTokens: 3_000_000_000, outputTokens: 50 },
      { id: 'a3', ts: '1970-01-21T10:00:00Z', model: 'gpt-4o', inputTokens: 1000, outputTokens: 50 },
      { id: 'a4', ts: new Date(Date.now() + 3 * 86_400_000).toISOString(), model: 'gpt-4o', inputTokens: 1000, outputTokens: 50 },
      { id: 'a5', ts: '2026-11-20T10:02:00Z', model: 'gpt-4o', inputTokens: 2000, outputTokens: 70 },
    ];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const answer = await send(agent, server.baseUrl, {
        method: 'POST',
        path: usagePath,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
        chunks: [Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n')],
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ lines: 5, inserted: 2, rejected: 3 });
      const errors = answer.body['errors'] as { line: number; reason: string }[];
      expect(errors.map((e) => e.line)).toEqual([2, 3, 4]);
      // Refused by the protocol's integer range or by the plausibility rule, whichever comes first.
      expect(errors[0]!.reason).toMatch(/inputTokens|input tokens: 3000000000 on one call/);
      expect(errors[1]!.reason).toContain('before 2015');
      expect(errors[2]!.reason).toContain('more than a day in the future');
    } finally {
      agent.destroy();
    }
  });

  const refusals: { name: string; status: number; code: string; headers: () => Record<string, string>; size: number }[] = [
    { name: 'no credentials', status: 401, code: 'AUTH_REQUIRED', headers: () => ({ 'content-type': 'application/x-ndjson' }), size: 8 * 1024 * 1024 },
    { name: 'a type it does not take', status: 400, code: 'VALIDATION_FAILED', headers: () => ({ authorization: `Bearer ${token}`, 'content-type': 'image/png' }), size: 8 * 1024 * 1024 },
    { name: 'a declared length over the limit', status: 413, code: 'BODY_TOO_LARGE', headers: () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }), size: MAX_USAGE_UPLOAD_BYTES + 64 * 1024 },
  ];

  for (const refusal of refusals) {
    it(`answers an upload refused for ${refusal.name}, then the next request on the same connection`, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const line = Buffer.from(JSON.stringify({ ts: '2026-11-20T10:00:00Z', model: 'gpt-4o', inputTokens: 1, outputTokens: 1 }) + '\n');
        const body = Buffer.concat(Array.from({ length: Math.ceil(refusal.size / line.length) }, () => line));
        const chunks = Array.from({ length: Math.ceil(body.length / 16_384) }, (_, i) => body.subarray(i * 16_384, (i + 1) * 16_384));
        const refused = await send(agent, server.baseUrl, { method: 'POST', path: usagePath, headers: { ...refusal.headers(), 'content-length': String(body.length) }, chunks });
        expect(refused.status).toBe(refusal.status);
        if (refusal.code) expect(refused.body).toMatchObject({ error: { code: refusal.code } });
        const next = await send(agent, server.baseUrl, { method: 'GET', path: `${usagePath}/overview`, headers: { authorization: `Bearer ${token}` } });
        expect(next.status).toBe(200);
        expect(next.reused).toBe(true);
        expect(next.localPort).toBe(refused.localPort);
      } finally {
        agent.destroy();
      }
    }, 60_000);
  }
});
