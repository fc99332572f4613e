import { SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';

/**
 * Tally's tracer, through OpenTelemetry's API: a no-op until tracing.ts registers the SDK, so the
 * seams below cost a function call when tracing is off.
 */
export function tracer() {
  return trace.getTracer('tally');
}

/**
 * Runs `body` inside a span that is active for everything it calls (async too), ends it, and
 * records a failure (the error's class and message, never request data) on it.
 */
export function inSpan<T>(name: string, attributes: Attributes, body: (span: Span) => Promise<T>, parent?: Context): Promise<T> {
  const run = (span: Span) =>
    body(span).then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        markFailed(span, error);
        span.end();
        throw error;
      },
    );
  return parent ? tracer().startActiveSpan(name, { attributes }, parent, run) : tracer().startActiveSpan(name, { attributes }, run);
}

export function markFailed(span: Span, error: unknown): void {
  const type = error instanceof Error ? error.name : typeof error;
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}
