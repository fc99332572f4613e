import http from 'node:http';
import https from 'node:https';

/** A response whose body is read as it arrives. */
export interface StreamedResponse {
  status: number;
  statusText: string;
  /** Lower-case names; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  /** The body as UTF-8 text, in the pieces the socket delivered; throws on an abort or a connection cut mid-body. */
  pieces(): AsyncIterable<string>;
  /** The whole body (for an error answer). */
  text(): Promise<string>;
}

/**
 * POSTs a JSON body over node:http(s) and hands back the response as soon as its head arrives.
 *
 * Why not `fetch`: a streamed answer is read one small socket read per chunk, and fetch (undici)
 * pays per read for its WASM HTTP parser and a WHATWG ReadableStream with a promise per piece;
 * node:http's native parser and 'data' events cost about half the CPU per chunk (bench figures in
 * docs/DECISIONS.md, "Streaming hot path"). Keep-alive comes from Node's global agents (on by
 * default since Node 19). Not done, as this path does not need them: redirects and compressed
 * bodies (no Accept-Encoding is sent, so none come).
 *
 * Rejects with the socket's error when there is no response (refused, reset, DNS), or with the
 * abort's error when `signal` ends the request first.
 */
export function postForStream(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<StreamedResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const transport = target.protocol === 'https:' ? https : http;
    const request = transport.request(target, { method: 'POST', signal, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (response) => {
      response.setEncoding('utf8');
      resolve(streamedResponse(response));
    });
    // After the head arrived the response carries the error: this only settles a request that got none.
    request.on('error', reject);
    request.end(body);
  });
}

function streamedResponse(response: http.IncomingMessage): StreamedResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  // Pieces are queued from the first 'data' event on, so none is lost between the head and the first read.
  const queue: string[] = [];
  let ended = false;
  let discard = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  response.on('data', (piece: string) => {
    if (discard) return;
    queue.push(piece);
    notify();
  });
  response.on('end', () => {
    ended = true;
    notify();
  });
  response.on('error', (error) => {
    failure = error;
    notify();
  });
  response.on('close', () => {
    if (!ended && !failure) failure = new Error('the connection closed before the response ended');
    notify();
  });
  return {
    status: response.statusCode ?? 0,
    statusText: response.statusMessage ?? '',
    headers,
    async *pieces() {
      try {
        for (;;) {
          if (queue.length > 0) {
            // Everything that arrived since the last read, as one piece: one parse for a burst of chunks.
            const piece = queue.length === 1 ? queue[0]! : queue.join('');
            queue.length = 0;
            yield piece;
            continue;
          }
          if (failure) throw failure;
          if (ended) return;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        if (!ended && !failure) stopReading(response, () => (discard = true));
      }
    },
    async text() {
      let all = '';
      for await (const piece of this.pieces()) all += piece;
      return all;
    },
  };
}

/** How long a response its reader left (e.g. after `[DONE]`) may take to end before its socket is dropped. */
const LEFT_RESPONSE_END_MS = 5_000;

/**
 * The reader is done before the body ended: the rest is drained and dropped, so the socket goes
 * back to the agent's pool as soon as the body ends, and is destroyed if the body never ends.
 */
function stopReading(response: http.IncomingMessage, discardRest: () => void): void {
  discardRest();
  const timer = setTimeout(() => response.destroy(), LEFT_RESPONSE_END_MS);
  timer.unref();
  response.once('close', () => clearTimeout(timer));
}
