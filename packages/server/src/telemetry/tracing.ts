import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config/config.js';

export interface Tracing {
  /** Sends what is still buffered, then stops; the API falls back to no-ops. */
  shutdown(): Promise<void>;
}

/**
 * Starts exporting Tally's spans over OTLP/HTTP (JSON) to the configured collector. The SDK is
 * registered as the process's tracer provider, as OpenTelemetry's API expects, so the seams that
 * make spans (telemetry/spans.ts) need nothing passed in: with no SDK registered, the API's spans
 * are no-ops. Batch size and delay follow the standard OTEL_BSP_* variables, headers
 * OTEL_EXPORTER_OTLP_HEADERS, both read by the SDK itself.
 */
export function startTracing(config: TracingConfig, identity: { version?: string; instanceId: string }): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.serviceName,
      ...(identity.version ? { [ATTR_SERVICE_VERSION]: identity.version } : {}),
      [ATTR_SERVICE_INSTANCE_ID]: identity.instanceId,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl }))],
  });
  // Also installs the AsyncLocalStorage context manager: a span started in an async call chain
  // is the parent of what that chain starts later.
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
