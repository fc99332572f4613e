import protobuf from 'protobufjs/light.js';
import { OTLP_SCHEMA_DESCRIPTOR } from './otlp-schema-descriptor.js';

/** The three OTLP signals Tally receives. */
export type OtlpSignal = 'traces' | 'logs' | 'metrics';

/**
 * The OTLP messages, from the official opentelemetry-proto files (vendored in proto/, loaded as
 * protobufjs' JSON descriptor so the bundled server needs no .proto file at run time).
 */
const root = protobuf.Root.fromJSON(OTLP_SCHEMA_DESCRIPTOR);

const COLLECTOR = 'opentelemetry.proto.collector';

export interface OtlpSignalTypes {
  request: protobuf.Type;
  response: protobuf.Type;
  /** The `ExportPartialSuccess` field naming what was refused: rejectedSpans, rejectedLogRecords or rejectedDataPoints. */
  rejectedField: 'rejectedSpans' | 'rejectedLogRecords' | 'rejectedDataPoints';
  /** The request's top-level list: resourceSpans, resourceLogs or resourceMetrics. */
  resourcesField: 'resourceSpans' | 'resourceLogs' | 'resourceMetrics';
  /** A resource's list of scopes, and a scope's list of items (spans, log records, metrics). */
  scopesField: 'scopeSpans' | 'scopeLogs' | 'scopeMetrics';
  itemsField: 'spans' | 'logRecords' | 'metrics';
}

export const OTLP_TYPES: Readonly<Record<OtlpSignal, OtlpSignalTypes>> = {
  traces: {
    request: root.lookupType(`${COLLECTOR}.trace.v1.ExportTraceServiceRequest`),
    response: root.lookupType(`${COLLECTOR}.trace.v1.ExportTraceServiceResponse`),
    rejectedField: 'rejectedSpans',
    resourcesField: 'resourceSpans',
    scopesField: 'scopeSpans',
    itemsField: 'spans',
  },
  logs: {
    request: root.lookupType(`${COLLECTOR}.logs.v1.ExportLogsServiceRequest`),
    response: root.lookupType(`${COLLECTOR}.logs.v1.ExportLogsServiceResponse`),
    rejectedField: 'rejectedLogRecords',
    resourcesField: 'resourceLogs',
    scopesField: 'scopeLogs',
    itemsField: 'logRecords',
  },
  metrics: {
    request: root.lookupType(`${COLLECTOR}.metrics.v1.ExportMetricsServiceRequest`),
    response: root.lookupType(`${COLLECTOR}.metrics.v1.ExportMetricsServiceResponse`),
    rejectedField: 'rejectedDataPoints',
    resourcesField: 'resourceMetrics',
    scopesField: 'scopeMetrics',
    itemsField: 'metrics',
  },
};

/**
 * `google.rpc.Status` (code, message; its `details` are not sent): the body OTLP/HTTP wants for
 * a refused protobuf request. Declared here rather than vendoring googleapis for two fields.
 */
export const RPC_STATUS = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
new protobuf.Root().define('google.rpc').add(RPC_STATUS);
