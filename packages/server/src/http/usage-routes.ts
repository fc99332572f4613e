import { Transform } from 'node:stream';
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { MAX_USAGE_UPLOAD_BYTES, type IngestSummary } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { UsageIngester } from '../usage/ingest-usage.js';
import type { UsageStore } from '../usage/usage-store.js';
import { userOf } from './authenticate.js';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'text/plain', 'application/octet-stream'];

/** Usage upload: the NDJSON body streams into the store in batches, in constant memory. */
export async function usageRoutes(
  app: FastifyInstance,
  deps: { ingester: UsageIngester; store: UsageStore; requireUser: preHandlerAsyncHookHandler; maxBytes?: number },
): Promise<void> {
  const maxBytes = deps.maxBytes ?? MAX_USAGE_UPLOAD_BYTES;
  // The raw stream is handed on untouched; the byte limit is counted as it flows.
  app.addContentTypeParser(NDJSON_TYPES, (_request, payload, done) => done(null, payload));
  app.addHook('preHandler', deps.requireUser);

  app.post('/v1/usage', async (request, reply): Promise<IngestSummary> => {
    const body = request.body;
    if (!body || typeof (body as NodeJS.ReadableStream).pipe !== 'function') {
      throw new AppError('VALIDATION_FAILED', 'Send usage records as NDJSON (Content-Type: application/x-ndjson).');
    }
    const controller = new AbortController();
    request.raw.on('close', () => {
      if (!request.raw.complete) controller.abort();
    });
    const summary = await deps.ingester.ingest(userOf(request).userId, (body as NodeJS.ReadableStream).pipe(byteLimit(maxBytes)), {
      signal: controller.signal,
    });
    if (summary.lines === 0) throw new AppError('USAGE_EMPTY');
    if (summary.inserted + summary.duplicates === 0) {
      // Nothing was usable: a typed error, with the summary (which lines, why) as its details.
      throw new AppError('USAGE_INVALID_RECORD', `No usable usage record: ${summary.rejected} line(s) refused.`, summary);
    }
    void reply.status(200);
    return summary;
  });

  app.get('/v1/usage/overview', async (request) => deps.store.overview(userOf(request).userId));
}

function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes) callback(new AppError('BODY_TOO_LARGE', `Uploads are limited to ${maxBytes} bytes; use \`tally ingest\` for larger files.`));
      else callback(null, chunk);
    },
  });
}
