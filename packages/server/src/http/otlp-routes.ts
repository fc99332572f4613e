import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WorkspaceRole } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { GenaiPriceCatalog } from '../pricing/genai-price-catalog.js';
import { encodeOtlpResponse, otlpEncodingOf } from '../usage/otlp/decode-otlp.js';
import { createIngestGate, type IngestGate } from '../usage/otlp/ingest-gate.js';
import { createOtlpReaderThread, type OtlpRequestReader } from '../usage/otlp/otlp-reader-thread.js';
import { RPC_STATUS, type OtlpSignal } from '../usage/otlp/otlp-schema.js';
import { createUsageWriteBatcher, type UsageWriteBatcher } from '../usage/otlp/usage-write-batcher.js';
import { usageRowCount } from '../usage/usage-rows.js';
import type { UsageStore } from '../usage/usage-store.js';
import { authorizeInWorkspace } from '../workspaces/workspace-authorization.js';
import { userOf, type Principal } from './authenticate.js';

/** Largest request body as sent (compressed or not): an SDK batch of 512 spans is well under it. */
export const OTLP_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Largest body once gzip is undone. */
export const OTLP_MAX_INFLATED_BYTES = 64 * 1024 * 1024;
/** Export requests one node works on at once (see usage/otlp/ingest-gate.ts). */
export const OTLP_MAX_IN_FLIGHT = 16;
/** What a throttled or unavailable answer asks the exporter to wait, in seconds. */
export const OTLP_RETRY_AFTER_SECONDS = 2;
/** Refusal reasons quoted in a partial success's message; the count stays exact beyond it. */
const MAX_QUOTED_ERRORS = 5;

/**
 * The workspace whose usage an OTLP request adds to: an API key's own workspace (a key works in
 * its workspace only); a person's access token adds to their personal workspace, whose id is
 * their user id. THE ONE PLACE that decides it. The path names no workspace, so the workspace
 * guard does not run: the same decision is made here (authorizeInWorkspace), so a key whose maker
 * left the workspace (WORKSPACE_NOT_FOUND) or is now a viewer (WORKSPACE_FORBIDDEN) stops adding.
 */
export async function ingestWorkspaceOf(principal: Principal, roleOf: RoleOf): Promise<string> {
  const workspaceId = claimedIngestWorkspace(principal);
  const apiKey = principal.via === 'api-key' ? { workspaceId: principal.workspaceId } : null;
  await authorizeInWorkspace(roleOf, { userId: principal.userId, apiKey }, workspaceId, 'usage.upload');
  return workspaceId;
}

/** The workspace a principal's OTLP request would add to, before its role there is checked. */
function claimedIngestWorkspace(principal: Principal): string {
  return principal.workspaceId ?? principal.userId;
}

type RoleOf = (workspaceId: string, userId: string) => Promise<WorkspaceRole | null>;

export interface OtlpRoutesDeps {
  store: UsageStore;
  /** A member's role now (workspace-service's roleOf), read on every request. */
  roleOf: RoleOf;
  /** The node's prices; the reader thread prices with a snapshot of them, sent again when they change. */
  prices: Pick<GenaiPriceCatalog, 'pricingSnapshot'>;
  /**
   * The authenticator's `authenticate`, run as the request arrives: a request without a valid
   * credential is refused before its body (up to 8 MiB) is read. The route's guard then checks
   * the scope on the principal this set.
   */
  authenticate?(request: FastifyRequest): Promise<unknown>;
  /**
   * Told that an insert stored new records for the workspace: app.ts announces it
   * (usage/usage-change-announcer.ts, coalesced), so open dashboards refetch.
   */
  onStored?(workspaceId: string): void;
  /** Told what was stored (per merged insert) and what each request repeated or had refused (the node's ingest metrics). */
  onIngested?(summary: { inserted: number; duplicates: number; rejected: number }): void;
  maxBodyBytes?: number;
  maxInflatedBytes?: number;
  gate?: IngestGate;
  /** Merges concurrent requests' records per workspace (usage/otlp/usage-write-batcher.ts); one over `store` by default. */
  batcher?: UsageWriteBatcher;
  /** Where export requests are decoded, mapped, priced and serialised; by default a thread of this plugin's own, closed with it. */
  reader?: OtlpRequestReader;
}

const SIGNALS: readonly OtlpSignal[] = ['traces', 'logs', 'metrics'];

/**
 * The OTLP/HTTP receiver (docs/PROTOCOL.md "OTLP"): `POST /v1/otlp/v1/{traces,logs,metrics}`,
 * protobuf or JSON, gzip or not, authenticated like any API call (a key with `usage:write`, sent
 * as `OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer tally_..."`). The calls found are stored
 * for the key's workspace (ingestWorkspaceOf); what could not be read is answered as a partial success; a node busy
 * with enough requests answers 429 with Retry-After, and an unavailable store 503 with it, so that
 * exporters retry instead of dropping. Answers are in the request's encoding.
 */
export async function otlpRoutes(app: FastifyInstance, deps: OtlpRoutesDeps): Promise<void> {
  const maxBodyBytes = deps.maxBodyBytes ?? OTLP_MAX_BODY_BYTES;
  const maxInflatedBytes = deps.maxInflatedBytes ?? OTLP_MAX_INFLATED_BYTES;
  const gate = deps.gate ?? createIngestGate(OTLP_MAX_IN_FLIGHT);
  const batcher =
    deps.batcher ??
    createUsageWriteBatcher({
      store: deps.store,
      onWritten: (_workspaceId, { inserted, duplicates }) => deps.onIngested?.({ inserted, duplicates, rejected: 0 }),
      onVisible: (workspaceId) => deps.onStored?.(workspaceId),
      onRollupFailed: (workspaceId, error) => app.log.warn({ err: error, workspaceId }, 'rolling up OTLP records failed; their days are brought up to date by the next insert'),
    });

  const reader = deps.reader ?? createOtlpReaderThread(deps.prices);
  if (!deps.reader) app.addHook('onClose', async () => reader.close());

  if (deps.authenticate) {
    const authenticate = deps.authenticate;
    app.addHook('onRequest', async (request) => {
      await authenticate(request);
    });
  }
  // Inside this plugin only: bodies stay bytes, decoded after authentication and gzip.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', 'application/x-protobuf', 'application/protobuf'], { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_request, body, done) =>
    done(null, body),
  );
  app.addHook('onSend', async (request, reply, payload) => {
    const status = reply.statusCode;
    if (status === 429 || status === 503) void reply.header('retry-after', String(OTLP_RETRY_AFTER_SECONDS));
    if (status < 400 || otlpEncodingOf(request.headers['content-type']) !== 'protobuf' || typeof payload !== 'string') return payload;
    // A refused protobuf request is answered with a protobuf google.rpc.Status, as OTLP/HTTP asks;
    // its message starts with Tally's error code.
    void reply.header('content-type', 'application/x-protobuf');
    return Buffer.from(RPC_STATUS.encode({ code: grpcCodeOf(status), message: statusMessageOf(payload) }).finish());
  });

  for (const signal of SIGNALS) {
    app.post(`/v1/otlp/v1/${signal}`, { bodyLimit: maxBodyBytes }, async (request, reply) => {
      const encoding = otlpEncodingOf(request.headers['content-type']);
      if (!encoding || !Buffer.isBuffer(request.body)) {
        throw new AppError('VALIDATION_FAILED', 'Send an OTLP export request as application/x-protobuf or application/json.');
      }
      const principal = userOf(request);
      const release = gate.tryEnter();
      if (!release) throw new AppError('RATE_LIMITED', `This node is ingesting as fast as its store allows; retry in ${OTLP_RETRY_AFTER_SECONDS} s.`);
      try {
        // The body is read (on the reader thread) while the principal's role is looked up, not
        // after: on the embedded store that lookup waits behind the insert running on its one
        // connection, and an exporter's next request then reached the store only after that wait
        // plus its own read, leaving the store idle in between (DECISIONS, session 16). Nothing
        // is stored, and no read's error answered, before the role allows it.
        const target = { workspaceId: claimedIngestWorkspace(principal), form: deps.store.rowForm };
        const [authorized, reading] = await Promise.allSettled([
          ingestWorkspaceOf(principal, deps.roleOf),
          reader.read({ signal, encoding, body: request.body, contentEncoding: request.headers['content-encoding'], maxInflatedBytes, target }),
        ]);
        if (authorized.status === 'rejected') throw authorized.reason;
        if (reading.status === 'rejected') throw reading.reason;
        const workspaceId = authorized.value;
        const read = reading.value;
        let rejected = 0;
        let message = '';
        if (signal === 'metrics') {
          // Received and counted, never stored: see count-metric-points.ts.
          request.log.debug({ dataPoints: read.dataPoints }, 'OTLP metrics received, not stored as calls');
        } else {
          // What the store added is told by the batcher, per merged insert; this request's own repeats and refusals here.
          if (usageRowCount(read.rows) > 0) await batcher.write(workspaceId, read.rows);
          rejected = read.errors.length;
          if (rejected > 0) message = refusalMessage(signal, read.errors);
          if (rejected > 0 || read.repeated > 0) deps.onIngested?.({ inserted: 0, duplicates: read.repeated, rejected });
        }
        void reply.header('content-type', encoding === 'json' ? 'application/json' : 'application/x-protobuf');
        return encodeOtlpResponse(signal, encoding, rejected, message);
      } finally {
        release();
      }
    });
  }
}

function refusalMessage(signal: OtlpSignal, errors: readonly string[]): string {
  const what = signal === 'traces' ? 'span(s)' : 'log record(s)';
  const quoted = errors.slice(0, MAX_QUOTED_ERRORS).join('; ');
  const more = errors.length > MAX_QUOTED_ERRORS ? `; and ${errors.length - MAX_QUOTED_ERRORS} more` : '';
  return `${errors.length} ${what} refused (numbered in request order): ${quoted}${more}`;
}

/** The gRPC status code OTLP pairs with an HTTP status. */
function grpcCodeOf(status: number): number {
  if (status === 400 || status === 413) return 3; // INVALID_ARGUMENT
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 404) return 5; // NOT_FOUND
  if (status === 429) return 8; // RESOURCE_EXHAUSTED
  if (status === 503) return 14; // UNAVAILABLE
  return 13; // INTERNAL
}

/** `CODE: message` from Tally's JSON error body. */
function statusMessageOf(payload: string): string {
  try {
    const error = (JSON.parse(payload) as { error?: { code?: string; message?: string } }).error;
    if (error?.code) return `${error.code}: ${error.message ?? ''}`;
  } catch {
    // not Tally's error body: passed on as it is
  }
  return payload;
}
