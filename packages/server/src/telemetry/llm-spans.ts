import { SpanKind, type Span } from '@opentelemetry/api';
import type { LanguageModelClient } from '../llm/language-model-client.js';
import { inSpan, markFailed, tracer } from './spans.js';

/**
 * The same client, with a span per call: the operation, the model and the agent it was for (the
 * OpenTelemetry GenAI attribute names; their constants are still incubating), never the prompt.
 * A streamed call's span lasts until its stream ends.
 */
export function withLlmSpans(client: LanguageModelClient): LanguageModelClient {
  const attributes = (operation: string, feature: string) => ({
    'gen_ai.operation.name': operation,
    'gen_ai.provider.name': client.kind,
    'gen_ai.request.model': client.modelId,
    'tally.agent': feature,
  });
  const streamed = (operation: string, feature: string, open: () => AsyncIterable<string>): AsyncIterable<string> => ({
    async *[Symbol.asyncIterator]() {
      const span: Span = tracer().startSpan(`${operation} ${client.modelId}`, { kind: SpanKind.CLIENT, attributes: attributes(operation, feature) });
      try {
        yield* open();
      } catch (error) {
        markFailed(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  });
  return {
    modelId: client.modelId,
    kind: client.kind,
    streamText: (request) => streamed('chat', request.feature, () => client.streamText(request)),
    streamWithTools: (request) => streamed('chat', request.feature, () => client.streamWithTools(request)),
    generateObject: (request) => inSpan(`generate_object ${client.modelId}`, attributes('generate_object', request.feature), () => client.generateObject(request)),
  };
}
