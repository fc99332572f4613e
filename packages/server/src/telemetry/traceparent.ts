import { ROOT_CONTEXT, context, trace, TraceFlags, type Context } from '@opentelemetry/api';

/**
 * The W3C `traceparent` of the active span, stored with a run when it is queued so that the node
 * that claims it (any node) continues the same trace. Null when no span is recording (tracing off).
 */
export function activeTraceparent(): string | null {
  const span = trace.getSpan(context.active());
  if (!span?.isRecording()) return null;
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The context a stored traceparent names, as a remote parent; the root context when absent or malformed. */
export function contextOf(traceparent: string | null | undefined): Context {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}
