import { amountOf, asObject, isoTimeOf, stringOf, type JsonObject } from './field-readers.js';

/** Names teams give the time of a logged call, tried in this order. */
const TIME_KEYS = ['timestamp', 'ts', 'time', 'created_at', 'createdAt', 'start_time', 'startTime', 'request_time', 'date'] as const;

/**
 * What a team's own log line may add around a provider's response body: `{timestamp, latency_ms,
 * project, feature, user, response: {…}}`. Provider bodies lack some of it (an Anthropic message
 * has no time at all), so the mappers read these beside the body.
 */
export interface LogContext {
  /** ISO time; null when a time field is present but unreadable. */
  ts?: string | null;
  latencyMs?: number;
  project?: string;
  feature?: string;
  user?: string;
  requestId?: string;
}

/** Reads a log line's own fields (any of them may be missing); problems are added to `problems`. */
export function logContextOf(line: JsonObject | undefined, problems: string[]): LogContext {
  if (!line) return {};
  const context: LogContext = {};
  for (const key of TIME_KEYS) {
    if (key in line) {
      context.ts = isoTimeOf(line[key]);
      if (context.ts === null) problems.push(`${key}: not a time: ${JSON.stringify(line[key])}`);
      break;
    }
  }
  const latency = line['latency_ms'] ?? line['latencyMs'] ?? line['duration_ms'] ?? line['durationMs'];
  const latencyMs = amountOf(latency, 'latency_ms', problems);
  if (latencyMs !== undefined) context.latencyMs = latencyMs;
  const metadata = asObject(line['metadata']);
  for (const key of ['project', 'feature', 'user'] as const) {
    const value = stringOf(line[key]) ?? stringOf(metadata?.[key]);
    if (value !== undefined) context[key] = value;
  }
  const requestId = stringOf(line['request_id'] ?? line['requestId'] ?? line['request-id']);
  if (requestId !== undefined) context.requestId = requestId;
  return context;
}

/** The body inside a log wrapper (`response` or `body`), when the line is one. */
export function wrappedBody(line: JsonObject): JsonObject | undefined {
  const inner = asObject(line['response']) ?? asObject(line['body']);
  return inner && ('usage' in inner || 'model' in inner) ? inner : undefined;
}
