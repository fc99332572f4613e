import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A mock streaming LLM for the benches: a real HTTP server speaking the OpenAI-compatible chat
 * completions protocol, as Tally's AI SDK provider calls it. It answers whatever the run
 * pipeline asks:
 * - a non-streamed request (triage's structured output) gets the triage JSON object;
 * - a streamed request (the reporting answer) gets `deltas` text chunks as SSE, `deltaDelayMs`
 *   apart (20 ms = 50/s; 0 = all at once), then the usage chunk and `[DONE]`.
 * Every delta carries the wall time it was written (performance.timeOrigin + performance.now(),
 * comparable across processes on one machine) so a receiver measures delivery latency with
 * `sentAtOf`. The time is written with letters for digits: an answer full of unknown numbers
 * would make the reporting agent's number check add notes no real answer has.
 *
 * A streamed request that offers tools and holds no tool result yet (a tool loop's first step)
 * gets one tool call, `top_spend` by model, then the usual streamed answer on the next step.
 *
 * A request whose prompt holds `paceMarker(ms)` (a user's message reaches the reporting prompt)
 * is paced at that many ms between chunks instead, so one Tally node serves paced and zero-delay
 * runs from one mock; one holding `chunksMarker(n)` gets n chunks instead of `deltas` (the bare ws
 * baseline reads the same marker), so one node serves long and short answers.
 *
 * It runs in a child process by default, so its CPU stays out of the measured process.
 */

export interface MockLlmOptions {
  /** Text chunks in a streamed answer (default 100). */
  deltas?: number;
  /** Wait between chunks, ms (default 20 = 50/s; 0 writes them back to back). */
  deltaDelayMs?: number;
  /** The intent triage answers (default `cost_analysis`: the answer streams without tools). */
  intent?: string;
  /** Run in this process instead of a child (default false). */
  inProcess?: boolean;
}

export interface MockLlmStats {
  /** Every request. */
  total: number;
  /** Structured-output (non-streamed) requests. */
  objects: number;
  /** Streamed answers started. */
  streams: number;
  /** Streamed answers the client abandoned before the end. */
  aborted: number;
  /** Tool calls answered (a tool loop's first step). */
  toolCalls: number;
}

export interface MockLlm {
  /** Base URL including `/v1`, as TALLY_LLM_BASE_URL takes it. */
  url: string;
  /** Counts of the requests served so far. */
  requests(): Promise<MockLlmStats>;
  /** Its process (the harness's own when it runs in-process): to read the CPU the load's LLM used. */
  pid: number;
  close(): Promise<void>;
}

export const MOCK_MODEL = 'mock-bench-model';

/** Wall time in ms with sub-ms precision, comparable between processes of one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

const DIGITS = 'abcdefghij';

/** `⟨t=bhdc...⟩`: the wall time, its digits written as the letters a-j. */
export function sentAtMarker(ms: number = wallNow()): string {
  return `⟨t=${ms.toFixed(3).replace(/\d/g, (d) => DIGITS[Number(d)]!)}⟩`;
}

/** Put in a message, makes the mock pace that run's answer at `ms` between chunks. */
export function paceMarker(ms: number): string {
  return `⟨pace=${ms}⟩`;
}

const PACE = /⟨pace=(\d+)⟩/;

/** Put in a message, makes the mock answer that run in `n` chunks. */
export function chunksMarker(n: number): string {
  return `⟨chunks=${n}⟩`;
}

/** The chunk count a message asks for with `chunksMarker`, if it does. */
export function chunksAskedIn(text: string): number | undefined {
  const asked = /⟨chunks=(\d+)⟩/.exec(text);
  return asked ? Number(asked[1]) : undefined;
}

const MARKERS = /⟨t=([a-j]+\.[a-j]+)⟩/g;

/** The wall times of every LLM chunk in a delta's text (a node may join several chunks into one delta). */
export function sentAtsOf(text: string): number[] {
  return [...text.matchAll(MARKERS)].map((m) => Number(m[1]!.replace(/[a-j]/g, (c) => String(c.charCodeAt(0) - 97))));
}

/** The wall time a delta was sent at, from its (first) marker; undefined when it has none. */
export function sentAtOf(text: string): number | undefined {
  return sentAtsOf(text)[0];
}

export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const settings = resolve(options);
  return options.inProcess ? startInProcess(settings) : startChild(settings);
}

export type MockSettings = Required<Omit<MockLlmOptions, 'inProcess'>>;

function resolve(options: MockLlmOptions): MockSettings {
  return { deltas: options.deltas ?? 100, deltaDelayMs: options.deltaDelayMs ?? 20, intent: options.intent ?? 'cost_analysis' };
}

/** The HTTP server itself (in whichever process runs it). */
export async function serveMockLlm(settings: MockSettings): Promise<{ port: number; stats: MockLlmStats; close(): Promise<void> }> {
  const stats: MockLlmStats = { total: 0, objects: 0, streams: 0, aborted: 0, toolCalls: 0 };
  const triage = JSON.stringify({ intent: settings.intent, models: [], project: null, timeRange: null });
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      stats.total++;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf-8')) as Record<string, unknown>;
      } catch {
        // answered as a non-streamed request
      }
      if (req.method === 'POST' && req.url?.endsWith('/messages') && body['stream'] === true) {
        // Anthropic's Messages API, plain streamed answers only: for llm-stream-reader's Anthropic figure.
        stats.streams++;
        streamAnthropicAnswer(res, settings, stats);
        return;
      }
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `mock-llm: no route ${req.method} ${req.url}`, type: 'invalid_request_error', code: null } }));
        return;
      }
      if (body['stream'] === true && wantsToolCall(body)) {
        stats.toolCalls++;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        const call = { index: 0, id: `call_${stats.toolCalls}`, type: 'function', function: { name: 'top_spend', arguments: JSON.stringify({ by: 'model', limit: 5 }) } };
        res.write(sse(chunk({ role: 'assistant', content: null, tool_calls: [call] }, null)));
        res.write(sse(chunk({}, 'tool_calls')));
        if (includeUsage(body)) res.write(sse({ ...chunk({}, null), choices: [], usage: { prompt_tokens: 900, completion_tokens: 20, total_tokens: 920 } }));
        res.end('data: [DONE]\n\n');
      } else if (body['stream'] === true) {
        stats.streams++;
        const messages = JSON.stringify(body['messages'] ?? '');
        const pace = PACE.exec(messages);
        const chunks = chunksAskedIn(messages);
        const asked = { ...settings, ...(pace ? { deltaDelayMs: Number(pace[1]) } : {}), ...(chunks !== undefined ? { deltas: chunks } : {}) };
        streamAnswer(res, asked, stats, includeUsage(body));
      } else {
        stats.objects++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(completion(triage)));
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    port: (server.address() as AddressInfo).port,
    stats,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

const WORDS = ['Most', 'of', 'your', 'spend', 'goes', 'to', 'one', 'model;', 'moving', 'batch', 'traffic', 'saves', 'the', 'most.'];

function streamAnswer(res: http.ServerResponse, settings: MockSettings, stats: MockLlmStats, usage: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(sse(chunk({ role: 'assistant', content: '' }, null)));
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  res.on('close', () => {
    if (timer) clearTimeout(timer);
    if (!res.writableFinished) stats.aborted++;
  });
  const delta = () => sse(chunk({ content: `${sentAtMarker()} ${WORDS[sent % WORDS.length]} ` }, null));
  const finish = () => {
    res.write(sse(chunk({}, 'stop')));
    if (usage) res.write(sse({ ...chunk({}, null), choices: [], usage: { prompt_tokens: 900, completion_tokens: settings.deltas, total_tokens: 900 + settings.deltas } }));
    res.end('data: [DONE]\n\n');
  };
  if (settings.deltaDelayMs <= 0) {
    let out = '';
    for (; sent < settings.deltas; sent++) out += delta();
    res.write(out);
    finish();
    return;
  }
  const tick = () => {
    timer = undefined;
    if (res.destroyed) return;
    res.write(delta());
    sent++;
    if (sent < settings.deltas) timer = setTimeout(tick, settings.deltaDelayMs);
    else finish();
  };
  // The first token comes at once: time to first token is Tally's, not a scripted wait.
  tick();
}

/**
 * The same paced words as Anthropic's Messages stream writes them: message_start with the input
 * usage, a text block of text_delta events, message_delta with the output usage, message_stop.
 */
function streamAnthropicAnswer(res: http.ServerResponse, settings: MockSettings, stats: MockLlmStats): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  res.write(
    event('message_start', { message: { id: 'msg_mock', type: 'message', role: 'assistant', model: MOCK_MODEL, content: [], stop_reason: null, usage: { input_tokens: 900, output_tokens: 1 } } }) +
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  );
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  res.on('close', () => {
    if (timer) clearTimeout(timer);
    if (!res.writableFinished) stats.aborted++;
  });
  const tick = () => {
    timer = undefined;
    if (res.destroyed) return;
    res.write(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: `${sentAtMarker()} ${WORDS[sent % WORDS.length]} ` } }));
    sent++;
    if (sent < settings.deltas) {
      timer = setTimeout(tick, settings.deltaDelayMs);
      return;
    }
    res.end(
      event('content_block_stop', { index: 0 }) +
        event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: settings.deltas } }) +
        event('message_stop', {}),
    );
  };
  tick();
}

/** A tool loop's first step: tools offered, no tool result in the conversation yet. */
function wantsToolCall(body: Record<string, unknown>): boolean {
  const tools = body['tools'];
  const messages = body['messages'];
  return Array.isArray(tools) && tools.length > 0 && Array.isArray(messages) && !messages.some((m) => (m as { role?: string }).role === 'tool');
}

function includeUsage(body: Record<string, unknown>): boolean {
  const options = body['stream_options'];
  return typeof options === 'object' && options !== null && (options as Record<string, unknown>)['include_usage'] === true;
}

const CREATED = 1_700_000_000;

function completion(content: string) {
  return {
    id: 'chatcmpl-mock',
    object: 'chat.completion',
    created: CREATED,
    model: MOCK_MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 400, completion_tokens: 30, total_tokens: 430 },
  };
}

function chunk(delta: Record<string, unknown>, finishReason: string | null) {
  return { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: CREATED, model: MOCK_MODEL, choices: [{ index: 0, delta, finish_reason: finishReason }] };
}

function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

async function startInProcess(settings: MockSettings): Promise<MockLlm> {
  const server = await serveMockLlm(settings);
  return { url: `http://127.0.0.1:${server.port}/v1`, pid: process.pid, requests: async () => ({ ...server.stats }), close: () => server.close() };
}

/** Messages between the parent and the child entry (mock-llm-main.ts). */
export type MockLlmChildMessage = { type: 'listening'; port: number } | { type: 'stats'; id: number; stats: MockLlmStats };
export type MockLlmParentMessage = { type: 'start'; settings: MockSettings } | { type: 'stats'; id: number };

async function startChild(settings: MockSettings): Promise<MockLlm> {
  const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'mock-llm-main.ts');
  const child: ChildProcess = fork(entry, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (stats: MockLlmStats) => void>();
  let nextId = 0;
  const port = await new Promise<number>((done, fail) => {
    const onExit = (code: number | null) => fail(new Error(`mock-llm: the child process exited (${code}) before listening`));
    child.once('exit', onExit);
    child.on('message', (message: MockLlmChildMessage) => {
      if (message.type === 'listening') {
        child.off('exit', onExit);
        done(message.port);
      } else if (message.type === 'stats') {
        waiting.get(message.id)?.(message.stats);
        waiting.delete(message.id);
      }
    });
    child.send({ type: 'start', settings } satisfies MockLlmParentMessage);
  });
  return {
    url: `http://127.0.0.1:${port}/v1`,
    pid: child.pid!,
    requests: () =>
      new Promise<MockLlmStats>((done) => {
        const id = nextId++;
        waiting.set(id, done);
        child.send({ type: 'stats', id } satisfies MockLlmParentMessage);
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
