import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { OTLP_SCHEMA_DESCRIPTOR } from './otlp-schema-descriptor.js';
import { OTLP_TYPES } from './otlp-schema.js';

const PROTO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'proto');

describe('OTLP schema', () => {
  it('is the descriptor of the vendored opentelemetry-proto files (regenerate otlp-schema-descriptor.ts when they change)', () => {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
    root.loadSync(['trace', 'logs', 'metrics'].map((s) => `opentelemetry/proto/collector/${s}/v1/${s}_service.proto`));
    expect(JSON.parse(JSON.stringify(root.toJSON({ keepComments: false })))).toEqual(OTLP_SCHEMA_DESCRIPTOR);
  });

  it('names each signal request, response and partial-success field', () => {
    expect(OTLP_TYPES.traces.request.fullName).toBe('.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
    expect(OTLP_TYPES.logs.response.fullName).toBe('.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
    const partial = OTLP_TYPES.metrics.response.fields['partialSuccess']?.resolve().resolvedType as protobuf.Type;
    expect(Object.keys(partial.fields)).toEqual(['rejectedDataPoints', 'errorMessage']);
  });
});
