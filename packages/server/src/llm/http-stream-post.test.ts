import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postForStream } from './http-stream-post.js';

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

/** A server whose handler writes the answer; it counts the TCP connections it was opened on. */
async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; connections: () => number; bodies: string[] }> {
  let connections = 0;
  const bodies: string[] = [];
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (piece: string) => (body += piece));
    req.on('end', () => {
      bodies.push(body);
      handler(req, res);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`, connections: () => connections, bodies };
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readAll(pieces: AsyncIterable<string>): Promise<string> {
  let all = '';
  for await (const piece of pieces) all += piece;
  return all;
}

describe('postForStream (the lean answer path over node:http)', () => {
  it('sends the body and hands back the pieces as they arrive, multi-byte characters whole across writes', async () => {
    const euro = Buffer.from('€', 'utf8');
    const { url, bodies } = await serve(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-two': ['a', 'b'] });
      res.write('one ');
      await tick(20);
      // A character split between two socket writes.
      res.write(euro.subarray(0, 1));
      await tick(20);
      res.end(Buffer.concat([euro.subarray(1), Buffer.from(' two')]));
    });
    const response = await postForStream(url, { 'content-type': 'application/json' }, JSON.stringify({ q: 'é' }), new AbortController().signal);
    expect(response.status).toBe(200);
    expect(response.headers['x-two']).toBe('a, b');
    const seen: string[] = [];
    for await (const piece of response.pieces()) seen.push(piece);
    expect(seen.join('')).toBe('one € two');
    expect(seen.length).toBeGreaterThan(1);
    expect(bodies).toEqual(['{"q":"é"}']);
  });

  it('a connection cut mid-body fails the read instead of ending it quietly', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const response = await postForStream(url, {}, '{}', new AbortController().signal);
    await expect(readAll(response.pieces())).rejects.toThrow();
  });

  it('an abort mid-body rejects the read with the abort, and no connection means a rejected post', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('first');
    });
    const stop = new AbortController();
    const response = await postForStream(url, {}, '{}', stop.signal);
    const read = readAll(response.pieces());
    setTimeout(() => stop.abort(new Error('stopped')), 20);
    await expect(read).rejects.toThrow();
    await expect(postForStream('http://127.0.0.1:1/v1', {}, '{}', new AbortController().signal)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a reader that stops before the body ends leaves the socket to be reused once it does', async () => {
    const { url, connections } = await serve(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: [DONE]\n\n');
      await tick(30);
      res.end();
    });
    for (let i = 0; i < 3; i++) {
      const response = await postForStream(url, {}, '{}', new AbortController().signal);
      for await (const piece of response.pieces()) if (piece.includes('[DONE]')) break;
      await tick(60);
    }
    expect(connections()).toBe(1);
  });

  it('an error answer is read whole with its status', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(429, 'Too Many Requests', { 'content-type': 'application/json', 'retry-after': '1' });
      res.end('{"error":{"message":"slow down"}}');
    });
    const response = await postForStream(url, {}, '{}', new AbortController().signal);
    expect([response.status, response.statusText, response.headers['retry-after']]).toEqual([429, 'Too Many Requests', '1']);
    expect(await response.text()).toBe('{"error":{"message":"slow down"}}');
  });
});
