import { context, propagation, SpanKind, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tracer } from './spans.js';

/**
 * A server span per HTTP request, named by its route pattern (never the path, which holds ids),
 * active while the request is handled, so what the handler does (store queries, a queued run)
 * is part of it. A `traceparent` header sent by a caller or proxy is continued. WebSocket upgrades
 * are left out: their socket outlives any request span; each command on it gets its own.
 * Registered only when tracing is on.
 */
export function registerRequestSpans(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.headers.upgrade) return done();
    const route = request.routeOptions.url ?? 'unmatched';
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: request.method, [ATTR_HTTP_ROUTE]: route } },
      parent,
    );
    spans.set(request, span);
    // The rest of the request's handling starts inside this call, so it runs in the span's context.
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    if (span) {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      spans.delete(request);
    }
    done();
  });
}
