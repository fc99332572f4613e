import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Anthropic Messages API: a real HTTP server on port 0 speaking POST /v1/messages, as one
 * JSON message or, with `stream: true`, as the real SSE event stream (`message_start`,
 * `content_block_start`, `ping`, `content_block_delta` with `text_delta` / `input_json_delta`,
 * `content_block_stop`, `message_delta` with the stop reason and output usage, `message_stop`).
 * Errors use Anthropic's `{type: "error", error: {type, message}}` body. Replies are scripted per
 * test; every request is recorded, and a client going away early is noticed.
 */
export type FakeAnthropicReply =
  /** Assistant text, streamed in these chunks (one chunk for a string). */
  | { text: string | string[]; chunkDelayMs?: number; usage?: FakeUsage; hang?: boolean }
  /** A JSON object: as a forced `json` tool call when the request offers that tool, else as text. */
  | { json: unknown; usage?: FakeUsage }
  /** Tool calls (stop_reason `tool_use`). */
  | { toolUse: Array<{ name: string; input: unknown; id?: string }>; usage?: FakeUsage }
  /** Never answer, not even headers. */
  | { hang: true }
  | { error: { status: number; type?: string; message?: string } };

export interface FakeUsage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface FakeAnthropicRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  stream: boolean;
  aborted: boolean;
}

export interface FakeAnthropic {
  /** Base URL including `/v1`, as TALLY_LLM_BASE_URL takes it. */
  url: string;
  requests: FakeAnthropicRequest[];
  waitForAbort(timeoutMs?: number): Promise<FakeAnthropicRequest>;
  close(): Promise<void>;
}

const DEFAULT_USAGE: FakeUsage = { input: 25, output: 12 };

export async function startFakeAnthropic(
  script: FakeAnthropicReply[] | ((request: FakeAnthropicRequest, index: number) => FakeAnthropicReply),
): Promise<FakeAnthropic> {
  const requests: FakeAnthropicRequest[] = [];
  const aborted: FakeAnthropicRequest[] = [];
  const waiters = new Set<(r: FakeAnthropicRequest) => void>();
  const queue = Array.isArray(script) ? [...script] : null;
  let closed = false;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

  const server = http.createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      // not JSON: answered as a bad request below
    }
    const request: FakeAnthropicRequest = { path: req.url ?? '/', headers: req.headers, body, stream: body['stream'] === true, aborted: false };
    requests.push(request);
    res.on('close', () => {
      if (res.writableFinished || closed) return;
      request.aborted = true;
      aborted.push(request);
      for (const wake of waiters) wake(request);
      waiters.clear();
    });
    if (req.method !== 'POST' || !request.path.endsWith('/messages') || typeof body['model'] !== 'string') {
      return sendError(res, 400, 'invalid_request_error', `fake-anthropic: bad request ${req.method} ${request.path}`);
    }
    const reply = queue ? (queue.shift() ?? { error: { status: 500, type: 'api_error', message: 'fake-anthropic: script exhausted' } }) : (script as (r: FakeAnthropicRequest, i: number) => FakeAnthropicReply)(request, requests.length - 1);
    await respond(request, reply, res);
  }

  async function respond(request: FakeAnthropicRequest, reply: FakeAnthropicReply, res: http.ServerResponse): Promise<void> {
    const model = String(request.body['model']);
    const gone = () => res.destroyed || closed;
    if ('error' in reply) return sendError(res, reply.error.status, reply.error.type ?? 'api_error', reply.error.message ?? 'fake-anthropic: scripted error');
    if ('hang' in reply && !('text' in reply)) return;
    const usage = ('usage' in reply && reply.usage) || DEFAULT_USAGE;
    let blocks: Block[];
    let stopReason: string;
    if ('toolUse' in reply) {
      blocks = reply.toolUse.map((t, i) => ({ type: 'tool_use', id: t.id ?? `toolu_${requests.length}_${i}`, name: t.name, input: t.input }));
      stopReason = 'tool_use';
    } else if ('json' in reply) {
      const tools = Array.isArray(request.body['tools']) ? (request.body['tools'] as Array<{ name?: string }>) : [];
      blocks = tools.some((t) => t.name === 'json')
        ? [{ type: 'tool_use', id: `toolu_json_${requests.length}`, name: 'json', input: reply.json }]
        : [{ type: 'text', text: JSON.stringify(reply.json) }];
      stopReason = blocks[0]!.type === 'tool_use' ? 'tool_use' : 'end_turn';
    } else {
      blocks = [{ type: 'text', text: Array.isArray(reply.text) ? reply.text.join('') : reply.text }];
      stopReason = 'end_turn';
    }
    const id = `msg_fake_${requests.length}`;
    const usageOut = {
      input_tokens: usage.input,
      output_tokens: usage.output,
      cache_creation_input_tokens: usage.cacheWrite ?? 0,
      cache_read_input_tokens: usage.cacheRead ?? 0,
    };
    if (!request.stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${id}` });
      res.end(JSON.stringify({ id, type: 'message', role: 'assistant', model, content: blocks, stop_reason: stopReason, stop_sequence: null, usage: usageOut }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${id}` });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usageOut, output_tokens: 1 } },
    });
    send('ping', { type: 'ping' });
    for (const [index, block] of blocks.entries()) {
      if (block.type === 'text') {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        const pieces = 'text' in reply && Array.isArray(reply.text) ? reply.text : [block.text];
        for (const text of pieces) {
          if ('chunkDelayMs' in reply && reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
          if (gone()) return;
          send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
        }
      } else {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } });
      }
      send('content_block_stop', { type: 'content_block_stop', index });
    }
    if ('hang' in reply && reply.hang) return;
    send('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output } });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    waitForAbort(timeoutMs = 5_000) {
      if (aborted[0]) return Promise.resolve(aborted[0]);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fake-anthropic: no aborted request within ${timeoutMs} ms`)), timeoutMs);
        waiters.add((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
    },
    async close() {
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}
