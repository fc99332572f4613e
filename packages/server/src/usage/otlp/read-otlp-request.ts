import type { PriceCatalog } from '../../pricing/price-catalog.js';
import { countMetricDataPoints } from './count-metric-points.js';
import { decodeOtlpRequest, inflateOtlpBody, type OtlpEncoding } from './decode-otlp.js';
import { mapOtlpTraceProtobuf } from './map-otlp-trace-protobuf.js';
import { mapOtlpLogs } from './map-otlp-logs.js';
import { mapOtlpTraces } from './map-otlp-traces.js';
import type { OtlpSignal } from './otlp-schema.js';
import { prepareOtlpRecords, type OtlpRecordsPrepared, type OtlpRowsTarget } from './prepare-otlp-records.js';

/** One export request as received: the body as sent, how to read it, and where its records go. */
export interface OtlpRequestJob {
  signal: OtlpSignal;
  encoding: OtlpEncoding;
  body: Uint8Array;
  /** The request's Content-Encoding (gzip or none). */
  contentEncoding: string | undefined;
  maxInflatedBytes: number;
  /** The workspace and its store's row form: the rows are serialised for them. */
  target: OtlpRowsTarget;
}

/**
 * What an export request holds, read: its calls as its store's rows (priced, keyed, serialised),
 * and why each refused item was refused.
 */
export interface OtlpRequestRead extends OtlpRecordsPrepared {
  /** Metric data points received (metrics are counted, never stored: count-metric-points.ts). */
  dataPoints: number;
}

/**
 * Gzip undone, decoded, mapped, priced, keyed and serialised: the whole CPU-bound part of an
 * export request, in one function of its input and a price catalog, so the node can run it away
 * from its event loop (otlp-reader-thread.ts). Bad input throws AppError (VALIDATION_FAILED, BODY_TOO_LARGE).
 */
export async function readOtlpRequest(job: OtlpRequestJob, prices: PriceCatalog): Promise<OtlpRequestRead> {
  const body = await inflateOtlpBody(Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength), job.contentEncoding, job.maxInflatedBytes);
  // Spans, the high-volume signal, read from protobuf straight off the wire, without the JSON shape.
  if (job.signal === 'traces' && job.encoding === 'protobuf') {
    return { ...prepareOtlpRecords(mapOtlpTraceProtobuf(body).items, prices, job.target), dataPoints: 0 };
  }
  const decoded = decodeOtlpRequest(job.signal, body, job.encoding);
  if (job.signal === 'metrics') return { ...prepareOtlpRecords([], prices, job.target), dataPoints: countMetricDataPoints(decoded) };
  const mapping = job.signal === 'traces' ? mapOtlpTraces(decoded) : mapOtlpLogs(decoded);
  return { ...prepareOtlpRecords(mapping.items, prices, job.target), dataPoints: 0 };
}
