import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OpenAI-compatible LLM: a real HTTP server on port 0 speaking POST /v1/chat/completions,
 * non-streaming (one JSON body) and streaming (`stream: true`: SSE `data: {...}\n\n` chunks, then
 * `data: [DONE]`). Each test scripts its replies; the server records every request it got and
 * notices when a client goes away before the reply is finished (an aborted request).
 */

/** What the server answers to one request. */
export type FakeLlmReply =
  /** Assistant text: one message, or streamed as one chunk. */
  | { text: string; delayMs?: number }
  /** A JSON value as the assistant's content (structured output); streamed as one chunk. */
  | { json: unknown; delayMs?: number }
  /** Content streamed chunk by chunk; without `stream: true` in the request, sent joined. */
  | {
      stream: string[];
      /** Wait before each chunk. */
      chunkDelayMs?: number;
      /** After the chunks, keep the response open forever: no finish, no [DONE]. */
      hang?: boolean;
    }
  /**
   * The assistant calls tools (finish_reason `tool_calls`); `args` is sent as JSON, or as is when it
   * is a string (so a test can send arguments that are not valid JSON).
   */
  | { toolCalls: Array<{ name: string; args: unknown; id?: string }>; delayMs?: number }
  /** Accept the request and never answer, not even headers. */
  | { hang: true }
  /** An HTTP error with an OpenAI-style error body. */
  | { error: { status: number; message?: string } };

export interface FakeLlmRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body ({} when it was not JSON). */
  body: Record<string, unknown>;
  /** Whether the body asked for `stream: true`. */
  stream: boolean;
  /** Set when the client closed the connection before the reply was complete. */
  aborted: boolean;
}

/** A function of the request (and its 0-based index), or a queue of replies taken in order. */
export type FakeLlmScript =
  | ((request: FakeLlmRequest, index: number) => FakeLlmReply | Promise<FakeLlmReply>)
  | FakeLlmReply[];

export interface FakeLlm {
  /** Base URL including `/v1`, as TALLY_LLM_BASE_URL takes it. */
  url: string;
  /** Every request received, in order. */
  requests: FakeLlmRequest[];
  /** How many requests the client abandoned before their reply was complete. */
  readonly abortedRequests: number;
  /** Resolves at the next (or an already seen) abandoned request; rejects after `timeoutMs`. */
  waitForAbort(timeoutMs?: number): Promise<FakeLlmRequest>;
  close(): Promise<void>;
}

export async function startFakeLlm(script: FakeLlmScript): Promise<FakeLlm> {
  const requests: FakeLlmRequest[] = [];
  const aborted: FakeLlmRequest[] = [];
  const abortWaiters = new Set<(request: FakeLlmRequest) => void>();
  const timers = new Set<NodeJS.Timeout>();
  const queue = Array.isArray(script) ? [...script] : null;
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, `fake-llm: ${String(error)}`);
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const body = parseBody(raw);
    const request: FakeLlmRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      stream: body['stream'] === true,
      aborted: false,
    };
    requests.push(request);
    res.on('close', () => {
      if (res.writableFinished || closed) return;
      request.aborted = true;
      aborted.push(request);
      for (const waiter of abortWaiters) waiter(request);
      abortWaiters.clear();
    });
    if (request.method !== 'POST' || !request.path.endsWith('/chat/completions')) {
      sendError(res, 404, `fake-llm: no route ${request.method} ${request.path}`);
      return;
    }
    const reply = await nextReply(request, requests.length - 1);
    await respond(request, reply, res);
  }

  async function nextReply(request: FakeLlmRequest, index: number): Promise<FakeLlmReply> {
    if (queue) return queue.shift() ?? { error: { status: 500, message: `fake-llm: script exhausted at request ${index + 1}` } };
    if (typeof script === 'function') return script(request, index);
    throw new Error('unreachable');
  }

  async function respond(request: FakeLlmRequest, reply: FakeLlmReply, res: http.ServerResponse): Promise<void> {
    const model = typeof request.body['model'] === 'string' ? request.body['model'] : 'fake-model';
    const gone = () => res.destroyed || closed;
    if ('error' in reply) {
      sendError(res, reply.error.status, reply.error.message ?? `fake-llm: scripted ${reply.error.status}`);
      return;
    }
    if ('stream' in reply) {
      if (!request.stream) {
        for (let i = 0; i < reply.stream.length && reply.chunkDelayMs; i++) await sleep(reply.chunkDelayMs);
        if (reply.hang || gone()) return;
        sendJson(res, 200, completion(model, reply.stream.join('')));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      writeEvent(res, chunk(model, { role: 'assistant', content: '' }, null));
      for (const piece of reply.stream) {
        if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
        if (gone()) return;
        writeEvent(res, chunk(model, { content: piece }, null));
      }
      if (reply.hang) return;
      finishStream(res, model, request);
      return;
    }
    if ('toolCalls' in reply) {
      if (reply.delayMs) await sleep(reply.delayMs);
      if (gone()) return;
      const calls = reply.toolCalls.map((c, i) => ({
        id: c.id ?? `call_${requests.length}_${i}`,
        type: 'function',
        function: { name: c.name, arguments: typeof c.args === 'string' ? c.args : JSON.stringify(c.args) },
      }));
      if (!request.stream) {
        sendJson(res, 200, {
          ...completion(model, ''),
          choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: calls }, finish_reason: 'tool_calls' }],
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      writeEvent(res, chunk(model, { role: 'assistant', content: null, tool_calls: calls.map((c, index) => ({ index, ...c })) }, null));
      finishStream(res, model, request, 'tool_calls');
      return;
    }
    if ('text' in reply || 'json' in reply) {
      const content = 'text' in reply ? reply.text : JSON.stringify(reply.json);
      if (reply.delayMs) await sleep(reply.delayMs);
      if (gone()) return;
      if (!request.stream) {
        sendJson(res, 200, completion(model, content));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      writeEvent(res, chunk(model, { role: 'assistant', content }, null));
      finishStream(res, model, request);
      return;
    }
    // { hang: true }: the request stays open until the client aborts or the server closes.
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get abortedRequests() {
      return aborted.length;
    },
    waitForAbort(timeoutMs = 5_000) {
      const seen = aborted[0];
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          abortWaiters.delete(onAbort);
          reject(new Error(`fake-llm: no aborted request within ${timeoutMs} ms`));
        }, timeoutMs);
        const onAbort = (request: FakeLlmRequest) => {
          clearTimeout(timer);
          resolve(request);
        };
        abortWaiters.add(onAbort);
      });
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf-8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const CREATED = 1_700_000_000;

function completion(model: string, content: string) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: CREATED,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 10, completion_tokens: Math.max(1, Math.ceil(content.length / 4)), total_tokens: 10 + Math.max(1, Math.ceil(content.length / 4)) },
  };
}

function chunk(model: string, delta: Record<string, unknown>, finishReason: string | null) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

function finishStream(res: http.ServerResponse, model: string, request: FakeLlmRequest, finishReason = 'stop'): void {
  writeEvent(res, chunk(model, {}, finishReason));
  const options = request.body['stream_options'];
  if (typeof options === 'object' && options !== null && (options as Record<string, unknown>)['include_usage'] === true) {
    writeEvent(res, { ...chunk(model, {}, null), choices: [], usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 } });
  }
  res.write('data: [DONE]\n\n');
  res.end();
}

function writeEvent(res: http.ServerResponse, data: unknown): void {
  res.write(`data: ${JSON.stringify(data)}\n\n`);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendError(res: http.ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null } });
}
