import type { UsageRecord } from '@tally/protocol';
import { countMetricDataPoints } from './count-metric-points.js';
import { decodeOtlpRequest, inflateOtlpBody, type OtlpEncoding } from './decode-otlp.js';
import { mapOtlpLogs } from './map-otlp-logs.js';
import { mapOtlpTraces } from './map-otlp-traces.js';
import type { OtlpSignal } from './otlp-schema.js';

/** One export request as received: the body as sent, and how to read it. */
export interface OtlpRequestJob {
  signal: OtlpSignal;
  encoding: OtlpEncoding;
  body: Uint8Array;
  /** The request's Content-Encoding (gzip or none). */
  contentEncoding: string | undefined;
  maxInflatedBytes: number;
}

/** What an export request holds, read: the calls found, and why each refused item was refused. */
export interface OtlpRequestRead {
  /** The calls, validated (not yet priced or keyed: the node does that, with its price catalog). */
  records: UsageRecord[];
  /** `#<position>: <reason>` per refused span or log record, in request order. */
  errors: string[];
  /** Metric data points received (metrics are counted, never stored: count-metric-points.ts). */
  dataPoints: number;
}

/**
 * Gzip undone, decoded, mapped: the whole CPU-bound part of an export request, in one function
 * of its input, so the node can run it away from its event loop (otlp-reader-thread.ts). Bad
 * input throws AppError (VALIDATION_FAILED, BODY_TOO_LARGE).
 */
export async function readOtlpRequest(job: OtlpRequestJob): Promise<OtlpRequestRead> {
  const body = await inflateOtlpBody(Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength), job.contentEncoding, job.maxInflatedBytes);
  const decoded = decodeOtlpRequest(job.signal, body, job.encoding);
  if (job.signal === 'metrics') return { records: [], errors: [], dataPoints: countMetricDataPoints(decoded) };
  const mapping = job.signal === 'traces' ? mapOtlpTraces(decoded) : mapOtlpLogs(decoded);
  const records: UsageRecord[] = [];
  const errors: string[] = [];
  for (const item of mapping.items) {
    if ('record' in item) records.push(item.record);
    else errors.push(`#${item.lineNumber}: ${item.error}`);
  }
  return { records, errors, dataPoints: 0 };
}
