import type { IncomingMessage } from 'node:http';

/**
 * Reads and discards what is left of a request body, so that a response sent before the body was
 * read (an upload refused for its credentials, type or size) leaves the keep-alive connection
 * able to carry the next request. Node closes a connection whose request body is still arriving
 * when the response ends, and the client sees its next request on that socket reset.
 *
 * Draining is bounded: a body declared or found longer than `maxBytes`, or still arriving after
 * `timeoutMs`, is not worth reading to save a connection. The answer is then false, and the
 * caller says `Connection: close` so the client opens a new one instead of meeting a reset.
 */
export function drainRequestBody(raw: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<boolean> {
  if (raw.complete || raw.readableEnded) return Promise.resolve(true);
  if (raw.destroyed) return Promise.resolve(false);
  const declared = Number(raw.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const done = (drained: boolean) => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('close', onClose);
      raw.off('error', onClose);
      resolve(drained);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) done(false);
    };
    const onEnd = () => done(true);
    const onClose = () => done(raw.complete);
    const timer = setTimeout(() => done(false), timeoutMs);
    // Whatever was reading the body (an ingest that stopped at an error) lets go of it first.
    raw.unpipe();
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('close', onClose);
    raw.on('error', onClose);
    raw.resume();
  });
}
