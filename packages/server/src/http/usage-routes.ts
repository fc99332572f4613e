import { Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import {
  MAX_USAGE_UPLOAD_BYTES,
  UsageDashboardQuerySchema,
  UsageUploadQuerySchema,
  type IngestSummary,
  type UsageCostSources,
  type UsageDashboard,
  type UsageDashboardFilters,
} from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { CsvMapping, UsageFormatName } from '../usage/formats/usage-format.js';
import { buildUsageDashboard, isWholeDayWindow, previousWindow, rowsForWindow } from '../analysis/usage-dashboard.js';
import type { ReconciliationService } from '../reconciliation/reconciliation-service.js';
import type { UsageIngester } from '../usage/ingest/ingest-usage.js';
import type { UsageAggregateRow, UsageStore } from '../usage/usage-store.js';
import { drainRequestBody } from './drain-request-body.js';
import { parseInput } from './parse-input.js';
import { workspaceAccessOf } from './route-access.js';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'text/plain', 'application/octet-stream'];
/** Other formats' own types (OTLP/JSON is posted as application/json, CSV as text/csv). */
const OTHER_TYPES = ['application/json', 'text/csv', 'application/csv'];
/**
 * A refused upload's unread body is read and discarded up to this much past the upload limit
 * (and for this long) to keep its connection; past that the connection is closed gracefully.
 */
const DRAIN_MARGIN_BYTES = 1024 * 1024;
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * A workspace's usage (`/v1/workspaces/:workspaceId/usage...`): the records belong to the
 * workspace the path names (its guard ran: ROUTE_ACCESS), whoever of its members uploads them.
 * Upload: the body streams into the store in batches, in constant memory. Its format is
 * detected from its first lines, or named with `?format=`; `?mapping=` (a JSON object) maps CSV
 * columns to record fields. The format read is answered in the `Tally-Usage-Format` header.
 */
export async function usageRoutes(
  app: FastifyInstance,
  deps: { ingester: UsageIngester; store: UsageStore; reconciliation: Pick<ReconciliationService, 'costSources'>; maxBytes?: number },
): Promise<void> {
  const maxBytes = deps.maxBytes ?? MAX_USAGE_UPLOAD_BYTES;
  // The raw stream is handed on untouched; the byte limit is counted as it flows.
  // Inside this plugin only: JSON bodies stream too, instead of being parsed whole.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser([...NDJSON_TYPES, ...OTHER_TYPES], (_request, payload, done) => done(null, payload));
  // An upload answered before its body was read (refused credentials, type or size, or an ingest
  // stopped by an error) keeps its keep-alive connection: see drain-request-body.ts.
  app.addHook('onSend', async (request, reply) => {
    if (request.raw.complete) return;
    if (!(await drainRequestBody(request.raw, maxBytes + DRAIN_MARGIN_BYTES, DRAIN_TIMEOUT_MS))) void reply.header('connection', 'close');
  });

  app.post('/v1/workspaces/:workspaceId/usage', async (request, reply): Promise<IngestSummary> => {
    const body = request.body;
    if (!body || typeof (body as NodeJS.ReadableStream).pipe !== 'function') {
      throw new AppError('VALIDATION_FAILED', 'Send usage as the request body (Content-Type: application/x-ndjson, application/json or text/csv).');
    }
    // A body declared too large is refused before a byte of it is read.
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      throw tooLarge(maxBytes);
    }
    const { format, mapping } = usageQuery(request.query);
    const controller = new AbortController();
    request.raw.on('close', () => {
      if (!request.raw.complete) controller.abort();
    });
    const summary = await deps.ingester.ingest(workspaceAccessOf(request).workspaceId, (body as NodeJS.ReadableStream).pipe(byteLimit(maxBytes)), {
      signal: controller.signal,
      format,
      mapping,
      contentEncoding: request.headers['content-encoding'],
      onFormat: (name) => void reply.header('tally-usage-format', name),
    });
    if (summary.lines === 0) throw new AppError('USAGE_EMPTY');
    if (summary.inserted + summary.duplicates === 0) {
      // Nothing was usable: a typed error, with the summary (which lines, why) as its details.
      throw new AppError('USAGE_INVALID_RECORD', `No usable usage record: ${summary.rejected} line(s) refused.`, summary);
    }
    void reply.status(200);
    return summary;
  });

  app.get('/v1/workspaces/:workspaceId/usage/overview', async (request) => deps.store.overview(workspaceAccessOf(request).workspaceId));

  app.get('/v1/workspaces/:workspaceId/usage/dashboard', async (request): Promise<UsageDashboard> => {
    const filters = parseInput(UsageDashboardQuerySchema, request.query ?? {});
    const { workspaceId } = workspaceAccessOf(request);
    // Per-day sums answer a window of whole UTC days; any other window is summed by the store.
    const prior = previousWindow(filters);
    const [all, overview, inWindow, priorWindow] = await Promise.all([
      deps.store.aggregate(workspaceId),
      deps.store.overview(workspaceId),
      isWholeDayWindow(filters) ? undefined : deps.store.aggregate(workspaceId, { from: filters.from, to: filters.to }),
      prior && !isWholeDayWindow(prior) ? deps.store.aggregate(workspaceId, prior) : undefined,
    ]);
    const [costSources, previousCostSources] = await Promise.all([
      dashboardCostSources(deps.reconciliation, workspaceId, filters, all),
      // The previous period's figure is counted like the current one, or the comparison would set bills against logs.
      prior ? dashboardCostSources(deps.reconciliation, workspaceId, { ...filters, ...prior }, all) : undefined,
    ]);
    return buildUsageDashboard({
      all,
      overview,
      filters,
      costSources,
      ...(previousCostSources ? { previousCostSources } : {}),
      ...(inWindow ? { inWindow } : {}),
      ...(priorWindow ? { previousWindow: priorWindow } : {}),
    });
  });
}

/**
 * The total's sources (issue 18): a bill has neither projects nor features nor hours, so with a
 * model or project filter, or a window not on UTC midnights, the total stays the records' and the
 * answer says why.
 */
async function dashboardCostSources(
  reconciliation: Pick<ReconciliationService, 'costSources'>,
  workspaceId: string,
  filters: UsageDashboardFilters,
  all: UsageAggregateRow[],
): Promise<UsageCostSources & { costUsd?: number }> {
  const rows = rowsForWindow(all, filters);
  const why = filters.models || filters.projects ? 'filtered by model or project: the total is the records\' own' : rows ? null : 'the window is not whole UTC days: the total is the records\' own';
  if (why !== null || !rows) return { applied: false, why, requestCostUsd: 0, providers: [] };
  return reconciliation.costSources(workspaceId, rows, { from: filters.from, to: filters.to });
}

/** `?format=&mapping=`, checked by the protocol's schema (a mapping is URL-encoded JSON). */
function usageQuery(query: unknown): { format?: UsageFormatName; mapping?: CsvMapping } {
  const { format, mapping } = parseInput(UsageUploadQuerySchema, query ?? {});
  return { ...(format ? { format } : {}), ...(mapping ? { mapping } : {}) };
}

function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes) callback(tooLarge(maxBytes));
      else callback(null, chunk);
    },
  });
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('BODY_TOO_LARGE', `Uploads are limited to ${maxBytes} bytes; use \`tally ingest\` for larger files.`);
}
