import { APICallError } from 'ai';
import { createParser } from 'eventsource-parser';
import { MAX_COALESCED_CHARS } from './coalesce-text-stream.js';
import { postForStream, type StreamedResponse } from './http-stream-post.js';

/** Tokens of one model call as the provider reported them, in Tally's disjoint buckets. */
export interface CallUsage {
  noCacheTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export interface OpenAiCompatibleEndpoint {
  /** Base URL including the version path, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  /** Retries of a refused or failed request (408, 409, 429, 5xx, no connection) before any text arrived. */
  maxRetries: number;
}

/** As the AI SDK waits between retries: 2 s, then twice as long each time, unless the provider says how long. */
const FIRST_RETRY_DELAY_MS = 2_000;

/**
 * A plain streamed answer (no tools, no structured output) from an OpenAI-compatible chat
 * completions endpoint, read lean: one HTTP request over node:http (http-stream-post.ts), its SSE
 * events parsed as they arrive, the texts of each read yielded as one piece. The AI SDK's reader
 * costs several times more CPU per chunk on this path (a zod parse of every chunk and a chain of
 * web TransformStreams over fetch; figures in docs/DECISIONS.md). Tool loops and structured output
 * stay on the AI SDK.
 *
 * Errors are the AI SDK's own kinds, so the client translates both paths alike: an HTTP refusal
 * or no connection is an APICallError (retried as the SDK does when `isRetryable`, before any
 * text); an error the provider reports inside the stream, or a chunk that is not JSON, is thrown
 * as an Error; an abort of `signal` rejects the read.
 */
export async function* streamOpenAiCompatibleText(
  endpoint: OpenAiCompatibleEndpoint,
  request: { system: string; prompt: string; maxOutputTokens?: number },
  signal: AbortSignal,
  onUsage: (usage: CallUsage) => void,
): AsyncIterable<string> {
  const url = `${endpoint.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const body = {
    model: endpoint.model,
    ...(request.maxOutputTokens ? { max_tokens: request.maxOutputTokens } : {}),
    messages: [
      { role: 'system', content: request.system },
      { role: 'user', content: request.prompt },
    ],
    stream: true,
    stream_options: { include_usage: true },
  };
  const response = await withRetries(endpoint.maxRetries, signal, () => post(url, endpoint.apiKey, body, signal));

  const texts: string[] = [];
  let failure: Error | null = null;
  let done = false;
  const parser = createParser({
    onEvent(event) {
      if (failure || done) return;
      if (event.data === '[DONE]') {
        done = true;
        return;
      }
      let chunk: OpenAiChunk;
      try {
        chunk = JSON.parse(event.data) as OpenAiChunk;
      } catch {
        failure = new Error(`the LLM sent a stream event that is not JSON: ${event.data.slice(0, 200)}`);
        return;
      }
      if (chunk.error) {
        failure = new Error(`the LLM reported an error mid-stream: ${chunk.error.message ?? JSON.stringify(chunk.error)}`);
        return;
      }
      const text = chunk.choices?.[0]?.delta?.content;
      if (typeof text === 'string' && text !== '') texts.push(text);
      if (chunk.usage) onUsage(usageOf(chunk.usage));
    },
  });
  for await (const piece of response.pieces()) {
    parser.feed(piece);
    // The texts of one read (a burst: tokens that arrived together) go out as one piece, outside
    // the parser's callback; a paced stream's read holds one chunk, which goes out as it came.
    for (const joined of joinedUpTo(texts.splice(0), MAX_COALESCED_CHARS)) {
      if (signal.aborted) throw signal.reason;
      yield joined;
    }
    if (failure) throw failure;
    if (done) return;
  }
}

/** Texts joined in order into pieces that stop growing at `maxChars` (a text is never split). */
function joinedUpTo(texts: string[], maxChars: number): string[] {
  if (texts.length <= 1) return texts;
  const pieces: string[] = [];
  let piece = '';
  for (const text of texts) {
    if (piece !== '' && piece.length + text.length > maxChars) {
      pieces.push(piece);
      piece = '';
    }
    piece += text;
  }
  if (piece !== '') pieces.push(piece);
  return pieces;
}

interface OpenAiChunk {
  choices?: Array<{ delta?: { content?: string | null } }>;
  usage?: OpenAiUsage | null;
  error?: { message?: string };
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

function usageOf(usage: OpenAiUsage): CallUsage {
  const input = usage.prompt_tokens ?? 0;
  const cacheRead = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return {
    noCacheTokens: Math.max(0, input - cacheRead),
    cacheReadTokens: cacheRead,
    cacheWriteTokens: 0,
    outputTokens: output,
    reasoningTokens: Math.min(output, usage.completion_tokens_details?.reasoning_tokens ?? 0),
  };
}

async function post(url: string, apiKey: string | undefined, body: unknown, signal: AbortSignal): Promise<StreamedResponse> {
  let response: StreamedResponse;
  try {
    const headers = { 'content-type': 'application/json', accept: 'text/event-stream', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };
    response = await postForStream(url, headers, JSON.stringify(body), signal);
  } catch (error) {
    if (signal.aborted) throw error;
    throw new APICallError({ message: `Cannot connect to API: ${error instanceof Error ? error.message : String(error)}`, url, requestBodyValues: body, cause: error, isRetryable: true });
  }
  if (response.status >= 200 && response.status < 300) return response;
  const text = await response.text().catch(() => '');
  throw new APICallError({
    message: errorMessageOf(text) ?? (response.statusText || `HTTP ${response.status}`),
    url,
    requestBodyValues: body,
    statusCode: response.status,
    responseHeaders: response.headers,
    responseBody: text,
  });
}

/** The message of an OpenAI-style error body (`{ error: { message } }`), if it is one. */
function errorMessageOf(text: string): string | undefined {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

async function withRetries<T>(maxRetries: number, signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0, delayMs = FIRST_RETRY_DELAY_MS; ; tries++, delayMs *= 2) {
    try {
      return await attempt();
    } catch (error) {
      if (signal.aborted || tries >= maxRetries || !(APICallError.isInstance(error) && error.isRetryable)) throw error;
      await sleep(retryDelayMs(error, delayMs), signal);
    }
  }
}

/** `retry-after-ms` or `retry-after` when the provider sends a sensible one (under a minute), else the backoff. */
function retryDelayMs(error: APICallError, backoffMs: number): number {
  const headers = error.responseHeaders ?? {};
  const ms = headers['retry-after-ms'] !== undefined ? Number.parseFloat(headers['retry-after-ms']) : headers['retry-after'] !== undefined ? Number.parseFloat(headers['retry-after']) * 1000 : Number.NaN;
  return Number.isFinite(ms) && ms >= 0 && (ms < 60_000 || ms < backoffMs) ? ms : backoffMs;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
