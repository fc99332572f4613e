import type { UsageRecordInput } from '@tally/protocol';
import { splitCacheWrites } from './cache-write-split.js';
import { amountOf, asObject, countOf, idOf, nanosBetweenMs, nanosToIso, stringOf, type JsonObject } from './field-readers.js';
import { checkedItem, errorItem, NOTHING, type MappedItem, type UsageFormat } from './usage-format.js';

/** Operations that wrap other calls: their token counts, when present, repeat their children's. */
const WRAPPER_OPERATIONS = new Set(['invoke_agent', 'create_agent', 'execute_tool']);

/** `gen_ai.provider.name` (and the older `gen_ai.system`) values, as Tally's provider labels. */
const PROVIDERS: Readonly<Record<string, string>> = {
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  'aws.bedrock': 'aws',
  'azure.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  az_ai_openai: 'azure',
  mistral_ai: 'mistral',
  x_ai: 'x-ai',
};

/** Longest OTLP line or document: a file exporter writes a whole batch of spans on one line. */
const MAX_OTLP_CHARS = 32 * 1024 * 1024;

/**
 * OpenTelemetry GenAI spans in OTLP/JSON (shared/FORMATS.md §4): one `ExportTraceServiceRequest`
 * `{resourceSpans: [{resource, scopeSpans: [{spans: […]}]}]}` per line (as the collector's file
 * exporter writes) or a whole document; one line holds many spans and so maps to many records.
 * Only spans with `gen_ai.usage.*` token counts are calls; agent and tool wrapper spans are
 * skipped so their children are not counted twice. Times are nanosecond strings (BigInt math);
 * ints may be strings or numbers; ids are hex (24/12-character base64 ones are converted).
 * `gen_ai.usage.input_tokens` SHOULD include cache reads and writes: they are subtracted when
 * they fit inside it, else it is taken as the uncached part. The key is (traceId, spanId), so a
 * span exported twice (exporter retries) is stored once.
 */
export const otelFormat: UsageFormat = {
  name: 'otel',
  title: 'OpenTelemetry GenAI spans (OTLP/JSON, one export request per line or a whole document)',
  framings: ['json'],
  maxUnitChars: MAX_OTLP_CHARS,
  detect(sample) {
    for (const value of sample.values) if (Array.isArray(asObject(value)?.['resourceSpans'])) return 0.99;
    // A document too long for the sample to hold whole still names its envelope first.
    return /^\s*\{\s*"resourceSpans"\s*:/.test(sample.head) ? 0.9 : 0;
  },
  createMapper() {
    return { map: mapOtlpRequest, flush: () => NOTHING };
  },
};

/** Maps one OTLP/JSON export request to a record per GenAI span with usage. */
export function mapOtlpRequest(unit: unknown, lineNumber: number): readonly MappedItem[] {
  const request = asObject(unit);
  const resourceSpans = request?.['resourceSpans'];
  if (!Array.isArray(resourceSpans)) return [errorItem(lineNumber, 'expected an OTLP/JSON export request: {"resourceSpans": [...]}')];
  const out: MappedItem[] = [];
  for (const resourceSpan of resourceSpans) {
    const resource = attributesOf(asObject(asObject(resourceSpan)?.['resource'])?.['attributes']);
    const scopeSpans = asObject(resourceSpan)?.['scopeSpans'];
    if (!Array.isArray(scopeSpans)) continue;
    for (const scopeSpan of scopeSpans) {
      const spans = asObject(scopeSpan)?.['spans'];
      if (!Array.isArray(spans)) continue;
      for (const span of spans) {
        const item = mapGenAiSpan(asObject(span), resource, lineNumber);
        if (item) out.push(item);
      }
    }
  }
  return out;
}

/**
 * Attributes instrumentations put Anthropic's cache-write TTL split in (no OTel convention has
 * it yet): OpenInference/OpenLLMetry-style `gen_ai.usage.cache_creation.ephemeral_*_input_tokens`,
 * and Dash0's `dash0.gen_ai.usage.cache_creation.ephemeral_*.input_tokens`. The first present wins.
 */
const WRITE_5M_ATTRIBUTES = ['gen_ai.usage.cache_creation.ephemeral_5m_input_tokens', 'dash0.gen_ai.usage.cache_creation.ephemeral_5m.input_tokens'] as const;
const WRITE_1H_ATTRIBUTES = ['gen_ai.usage.cache_creation.ephemeral_1h_input_tokens', 'dash0.gen_ai.usage.cache_creation.ephemeral_1h.input_tokens'] as const;

function firstOf(attributes: Record<string, unknown>, names: readonly string[]): unknown {
  for (const name of names) if (attributes[name] !== undefined) return attributes[name];
  return undefined;
}

/** How a GenAI span is keyed. */
export interface GenAiSpanOptions {
  /**
   * Key the call by its `gen_ai.response.id` when it has one, else by (traceId, spanId). The OTLP
   * receiver does, so that one call reported as a span and as a log record keys alike; files
   * keep the (traceId, spanId) key they were always stored under.
   */
  keyByResponseId?: boolean;
}

/**
 * What the GenAI mapping reads of a span, taken from whichever shape it arrived in: an OTLP/JSON
 * span (mapGenAiSpan), or a protobuf span read straight off the wire
 * (usage/otlp/map-otlp-trace-protobuf.ts).
 */
export interface GenAiSpanFields {
  /** The span's attributes as values (attributesOf's form): later ones win. */
  attributes: JsonObject;
  /** Hex, or the base64 generic protobuf-JSON writers send (hexId). */
  traceId: unknown;
  spanId: unknown;
  /** Nanoseconds: a decimal string, a number, or a bigint. */
  startTimeUnixNano: unknown;
  endTimeUnixNano: unknown;
  /** 2 (or its enum name) is an error. */
  statusCode: unknown;
}

/**
 * One OTLP/JSON span (or a span-shaped GenAI event) as a usage record; undefined when it is not
 * a call (no `gen_ai.usage.*` counts, or an agent/tool wrapper).
 */
export function mapGenAiSpan(span: JsonObject | undefined, resource: JsonObject, lineNumber: number, options: GenAiSpanOptions = {}): MappedItem | undefined {
  if (!span) return undefined;
  return mapGenAiCall(genAiSpanFieldsOf(span), resource, lineNumber, options);
}

/** An OTLP/JSON span's fields, as the mapping reads them. */
export function genAiSpanFieldsOf(span: JsonObject): GenAiSpanFields {
  return {
    attributes: attributesOf(span['attributes']),
    traceId: span['traceId'],
    spanId: span['spanId'],
    startTimeUnixNano: span['startTimeUnixNano'],
    endTimeUnixNano: span['endTimeUnixNano'],
    statusCode: asObject(span['status'])?.['code'],
  };
}

/** A span's fields as a usage record; undefined when it is not a call (no `gen_ai.usage.*` counts, or an agent/tool wrapper). */
export function mapGenAiCall(span: GenAiSpanFields, resource: JsonObject, lineNumber: number, options: GenAiSpanOptions = {}): MappedItem | undefined {
  const a = span.attributes;
  const operation = stringOf(a['gen_ai.operation.name']);
  if (operation !== undefined && WRAPPER_OPERATIONS.has(operation)) return undefined;
  const problems: string[] = [];
  // The current names first, then the deprecated ones older instrumentations still emit.
  const input = countOf(a['gen_ai.usage.input_tokens'] ?? a['gen_ai.usage.prompt_tokens'], 'gen_ai.usage.input_tokens', problems);
  const output = countOf(a['gen_ai.usage.output_tokens'] ?? a['gen_ai.usage.completion_tokens'], 'gen_ai.usage.output_tokens', problems);
  if (input === undefined && output === undefined && problems.length === 0) return undefined;
  const cacheRead = countOf(a['gen_ai.usage.cache_read.input_tokens'] ?? a['gen_ai.usage.cache_read_input_tokens'], 'gen_ai.usage.cache_read.input_tokens', problems) ?? 0;
  const writeTotal = countOf(a['gen_ai.usage.cache_creation.input_tokens'] ?? a['gen_ai.usage.cache_creation_input_tokens'], 'gen_ai.usage.cache_creation.input_tokens', problems);
  // No convention has the Anthropic TTL split yet: the names instrumentations use for it.
  const writes = splitCacheWrites(
    {
      total: writeTotal,
      write5m: countOf(firstOf(a, WRITE_5M_ATTRIBUTES), WRITE_5M_ATTRIBUTES[0], problems),
      write1h: countOf(firstOf(a, WRITE_1H_ATTRIBUTES), WRITE_1H_ATTRIBUTES[0], problems),
    },
    { total: 'gen_ai.usage.cache_creation.input_tokens', write1h: WRITE_1H_ATTRIBUTES[0] },
    problems,
  );
  const cacheWrite = (writes.cacheWriteTokens ?? 0) + (writes.cacheWrite1hTokens ?? 0);
  const reasoning = countOf(a['gen_ai.usage.reasoning_tokens'] ?? a['gen_ai.usage.reasoning.output_tokens'], 'gen_ai.usage.reasoning_tokens', problems);
  const costUsd = amountOf(a['gen_ai.usage.cost'], 'gen_ai.usage.cost', problems);
  const model = stringOf(a['gen_ai.response.model']) ?? stringOf(a['gen_ai.request.model']);
  const spanId = hexId(span.spanId, 16);
  const traceId = hexId(span.traceId, 32);
  const where = spanId ? `span ${spanId}: ` : '';
  if (!model) problems.push('no gen_ai.request.model or gen_ai.response.model');
  const ts = nanosToIso(span.startTimeUnixNano);
  if (!ts) problems.push(`startTimeUnixNano: not nanoseconds: ${shown(span.startTimeUnixNano)}`);
  const maxTokens = countOf(a['gen_ai.request.max_tokens'], 'gen_ai.request.max_tokens', problems);
  if (problems.length > 0 || !model || !ts) return errorItem(lineNumber, where + problems.join('; '));

  const inputTokens = input ?? 0;
  const included = cacheRead + cacheWrite <= inputTokens;
  const providerName = stringOf(a['gen_ai.provider.name']) ?? stringOf(a['gen_ai.system']);
  const record: UsageRecordInput = {
    ts,
    provider: providerName === undefined ? undefined : (PROVIDERS[providerName] ?? providerName),
    model,
    inputTokens: included ? inputTokens - cacheRead - cacheWrite : inputTokens,
    outputTokens: output ?? 0,
    cacheReadTokens: cacheRead,
    ...writes,
    reasoningTokens: reasoning,
    latencyMs: nanosBetweenMs(span.startTimeUnixNano, span.endTimeUnixNano),
    status: statusOf(span.statusCode, a),
    project: stringOf(resource['service.name']),
    feature: stringOf(a['gen_ai.agent.name']),
    user: stringOf(a['user.id']) ?? stringOf(a['enduser.id']),
    maxOutputTokens: maxTokens !== undefined && maxTokens >= 1 ? maxTokens : undefined,
    costUsd,
  };
  const responseId = options.keyByResponseId ? stringOf(a['gen_ai.response.id']) : undefined;
  if (responseId) record.id = idOf(responseId);
  else if (traceId && spanId) record.id = idOf(traceId, spanId);
  return checkedItem(lineNumber, record);
}

/** Span status code 2 is an error; an `error.type` naming a timeout makes it one. */
function statusOf(code: unknown, a: JsonObject): 'ok' | 'error' | 'timeout' {
  const errorType = stringOf(a['error.type']);
  if (errorType !== undefined && /time[d_ ]?out|deadline|^408$|^504$/i.test(errorType)) return 'timeout';
  return code === 2 || code === 'STATUS_CODE_ERROR' || errorType !== undefined ? 'error' : 'ok';
}

/** A value as an error message shows it (JSON cannot write a bigint). */
function shown(value: unknown): string {
  return typeof value === 'bigint' ? String(value) : JSON.stringify(value);
}

/** OTLP attributes `[{key, value: {stringValue|intValue|…}}]` as a plain object of values. */
export function attributesOf(list: unknown): JsonObject {
  const out: JsonObject = {};
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    const e = asObject(entry);
    const key = e?.['key'];
    if (typeof key === 'string') out[key] = anyValueOf(e?.['value']);
  }
  return out;
}

function anyValueOf(value: unknown): unknown {
  const v = asObject(value);
  if (!v) return undefined;
  if ('stringValue' in v) return v['stringValue'];
  // 64-bit ints are decimal strings in proto3 JSON; some writers use bare numbers.
  if ('intValue' in v) return v['intValue'];
  if ('doubleValue' in v) return v['doubleValue'];
  if ('boolValue' in v) return v['boolValue'];
  const array = asObject(v['arrayValue'])?.['values'];
  if (Array.isArray(array)) return array.map(anyValueOf);
  return undefined;
}

/**
 * A trace or span id as lower-case hex. OTLP/JSON writes hex, but generic protobuf-JSON writers
 * send base64: told apart by length (32/16 hex characters against 24/12 base64 ones).
 */
export function hexId(value: unknown, hexLength: 16 | 32): string | undefined {
  const text = stringOf(value);
  if (!text) return undefined;
  if (text.length === hexLength && /^[0-9a-f]+$/i.test(text)) return text.toLowerCase();
  const base64Length = hexLength === 32 ? 24 : 12;
  if (text.length === base64Length && /^[A-Za-z0-9+/]+={0,2}$/.test(text)) return Buffer.from(text, 'base64').toString('hex');
  return text;
}
