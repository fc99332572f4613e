import { asObject, listOf, type JsonObject } from '../formats/field-readers.js';

/** The kinds of metric whose points are in `dataPoints`. */
const KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

/**
 * The data points of an ExportMetricsServiceRequest (as OTLP/JSON). Metrics are received and
 * counted, never stored as calls: a token counter (`gen_ai.client.token.usage`,
 * `claude_code.token.usage`, `gemini_cli.token.usage`, Codex's) sums the very calls its tool also
 * reports one by one as spans or log records, so storing both would count every call twice.
 */
export function countMetricDataPoints(request: JsonObject): number {
  let points = 0;
  for (const resourceMetrics of listOf(request['resourceMetrics'])) {
    for (const scopeMetrics of listOf(asObject(resourceMetrics)?.['scopeMetrics'])) {
      for (const metric of listOf(asObject(scopeMetrics)?.['metrics'])) {
        const m = asObject(metric);
        for (const kind of KINDS) points += listOf(asObject(m?.[kind])?.['dataPoints']).length;
      }
    }
  }
  return points;
}
