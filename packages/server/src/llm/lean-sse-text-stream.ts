import { APICallError } from 'ai';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
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

/** One streamed request to a provider: where, with which headers, what. */
export interface SseTextRequest {
  url: string;
  /** The provider's own headers (its credential, its version); content type and accept are added. */
  headers: Record<string, string>;
  body: unknown;
  /** Retries of a refused or failed request (408, 409, 429, 5xx, no connection) before any text arrived. */
  maxRetries: number;
}

/** What readEvent returns when the provider says the answer is complete. */
export const STREAM_DONE = Symbol('stream done');

/**
 * Reads one server-sent event of a provider's stream: the text it adds (or undefined), or
 * STREAM_DONE at the end. It throws an Error for an event that fails the answer (a provider's
 * error, a chunk that is not JSON), and reports usage itself.
 */
export type SseEventReader = (event: EventSourceMessage) => string | undefined | typeof STREAM_DONE;

/** As the AI SDK waits between retries: 2 s, then twice as long each time, unless the provider says how long. */
const FIRST_RETRY_DELAY_MS = 2_000;

/**
 * An error the provider sent inside its stream. With `retryStatus`, one the provider answers when
 * it cannot take the request now (Anthropic's `overloaded_error`): arriving before any text, it is
 * retried as an HTTP refusal of that status would be, as the SDK retries it.
 */
export class ProviderStreamError extends Error {
  constructor(
    message: string,
    readonly retryStatus?: number,
  ) {
    super(message);
    this.name = 'ProviderStreamError';
  }
}

/**
 * A plain streamed answer read lean: one HTTP request over node:http (http-stream-post.ts), its
 * SSE events parsed as they arrive by the provider's `readEvent`, the texts of each socket read
 * yielded as one piece. The AI SDK's readers cost several times more CPU per chunk on this path
 * (a zod parse of every chunk and a chain of web TransformStreams over fetch; figures in
 * docs/DECISIONS.md). One implementation for every provider with a lean reader
 * (openai-compatible-text-stream.ts, anthropic-text-stream.ts); tool loops and structured
 * output stay on the AI SDK.
 *
 * Errors are the AI SDK's own kinds, so the client translates both paths alike: an HTTP refusal
 * or no connection is an APICallError (retried as the SDK does when `isRetryable`, before any
 * text), and so is a ProviderStreamError with a `retryStatus` that comes before any text; what
 * else `readEvent` throws fails the answer after the text before it; an abort of `signal` rejects
 * the read.
 */
export async function* streamSseTexts(request: SseTextRequest, signal: AbortSignal, readEvent: SseEventReader): AsyncIterable<string> {
  const stream = await withRetries(request.maxRetries, signal, () => openStream(request, signal, readEvent));
  try {
    for (;;) {
      // The texts of one read (a burst: tokens that arrived together) go out as one piece, outside
      // the parser's callback; a paced stream's read holds one chunk, which goes out as it came.
      for (const joined of joinedUpTo(stream.texts.splice(0), MAX_COALESCED_CHARS)) {
        if (signal.aborted) throw signal.reason;
        yield joined;
      }
      if (stream.failure) throw stream.failure;
      if (stream.done) return;
      const next = await stream.pieces.next();
      if (next.done) return;
      stream.feed(next.value);
    }
  } finally {
    await stream.pieces.return?.();
  }
}

interface OpenStream {
  pieces: AsyncIterator<string>;
  feed(piece: string): void;
  texts: string[];
  failure: Error | null;
  done: boolean;
}

/** The request made and its stream read up to its first text, its end or its failure. */
async function openStream(request: SseTextRequest, signal: AbortSignal, readEvent: SseEventReader): Promise<OpenStream> {
  const response = await post(request, signal);
  const parser = createParser({
    onEvent(event) {
      if (stream.failure || stream.done) return;
      try {
        const read = readEvent(event);
        if (read === STREAM_DONE) stream.done = true;
        else if (read !== undefined && read !== '') stream.texts.push(read);
      } catch (error) {
        stream.failure = error instanceof Error ? error : new Error(String(error));
      }
    },
  });
  const stream: OpenStream = { pieces: response.pieces()[Symbol.asyncIterator](), feed: (piece) => parser.feed(piece), texts: [], failure: null, done: false };
  while (stream.texts.length === 0 && !stream.failure && !stream.done) {
    const next = await stream.pieces.next();
    if (next.done) break;
    stream.feed(next.value);
  }
  const { failure } = stream;
  if (stream.texts.length === 0 && failure instanceof ProviderStreamError && failure.retryStatus !== undefined) {
    await stream.pieces.return?.();
    throw new APICallError({ message: failure.message, url: request.url, requestBodyValues: request.body, statusCode: failure.retryStatus, isRetryable: true });
  }
  return stream;
}

/** An event's data as JSON, or the Error that fails the answer. */
export function jsonEventData<T>(data: string): T {
  try {
    return JSON.parse(data) as T;
  } catch {
    throw new Error(`the LLM sent a stream event that is not JSON: ${data.slice(0, 200)}`);
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

async function post(request: SseTextRequest, signal: AbortSignal): Promise<StreamedResponse> {
  const { url, body } = request;
  let response: StreamedResponse;
  try {
    const headers = { 'content-type': 'application/json', accept: 'text/event-stream', ...request.headers };
    response = await postForStream(url, headers, JSON.stringify(body), signal);
  } catch (error) {
    if (signal.aborted) throw error;
    throw new APICallError({ message: `Cannot connect to API: ${error instanceof Error ? error.message : String(error)}`, url, requestBodyValues: body, cause: error, isRetryable: true });
  }
  if (response.status >= 200 && response.status < 300) return response;
  const text = await response.text().catch(() => '');
  throw new APICallError({
    message: errorBodyMessage(text) ?? (response.statusText || `HTTP ${response.status}`),
    url,
    requestBodyValues: body,
    statusCode: response.status,
    responseHeaders: response.headers,
    responseBody: text,
  });
}

/** The message of a provider's error body: OpenAI's and Anthropic's both put it at `error.message`. */
function errorBodyMessage(text: string): string | undefined {
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
