import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { AppError } from '../../app-error.js';
import { asObject, type JsonObject } from '../formats/field-readers.js';
import { OTLP_TYPES, type OtlpSignal } from './otlp-schema.js';

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = 'protobuf' | 'json';

const gunzipAsync = promisify(gunzip);

/** The encoding a Content-Type names, or undefined for one OTLP/HTTP does not define. */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

/**
 * The body as sent, gzip undone (`Content-Encoding: gzip`); the inflated size is capped, so a
 * small compressed bomb is refused instead of filling memory.
 */
export async function inflateOtlpBody(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const encoding = contentEncoding?.trim().toLowerCase();
  if (!encoding || encoding === 'identity') return body;
  if (encoding !== 'gzip') throw new AppError('VALIDATION_FAILED', `Content-Encoding ${encoding} is not supported: send gzip or no compression.`);
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new AppError('BODY_TOO_LARGE', `An OTLP request may inflate to at most ${maxBytes} bytes; send smaller batches.`);
    }
    throw new AppError('VALIDATION_FAILED', 'The body is not valid gzip.');
  }
}

/**
 * An export request as the OTLP/JSON object (camelCase fields, 64-bit ints as decimal strings,
 * enums as numbers), whichever encoding it came in: one mapping reads both (protobuf spans, the
 * high-volume signal, are read straight off the wire instead: map-otlp-trace-protobuf.ts).
 * Protobuf ids come out base64, which the mappers' `hexId` turns into hex as it does for generic
 * protobuf-JSON writers.
 * A body that is not the signal's request is a VALIDATION_FAILED.
 */
export function decodeOtlpRequest(signal: OtlpSignal, body: Buffer, encoding: OtlpEncoding): JsonObject {
  const { request, resourcesField } = OTLP_TYPES[signal];
  if (encoding === 'protobuf') {
    let message: ReturnType<typeof request.decode>;
    try {
      message = request.decode(body);
    } catch (error) {
      throw new AppError('VALIDATION_FAILED', `The body is not a protobuf ${request.name}: ${(error as Error).message}`);
    }
    return request.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false, arrays: true }) as JsonObject;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf-8'));
  } catch {
    throw new AppError('VALIDATION_FAILED', `The body is not JSON: send an OTLP/JSON ${request.name}.`);
  }
  const object = asObject(parsed);
  const resources = object?.[resourcesField];
  if (!object || (resources !== undefined && resources !== null && !Array.isArray(resources))) {
    throw new AppError('VALIDATION_FAILED', `The body is not an OTLP/JSON ${request.name}: expected {"${resourcesField}": [...]}.`);
  }
  const misshapen = misshapenPath(signal, object);
  if (misshapen) throw new AppError('VALIDATION_FAILED', `The body is not an OTLP/JSON ${request.name}: ${misshapen}.`);
  return object;
}

/**
 * Where an OTLP/JSON request's nesting is not the protocol's, or null: a list that is not an
 * array, or a resource or scope that is not an object. Such a body was written by something that
 * is not an OTLP exporter, and storing the rest of it would pass off what it lost as received; a
 * protobuf body cannot be shaped so. A list may be absent or null (proto3 JSON's empty list); an
 * item in a list that is not an object is refused on its own by the mapping, as a partial success.
 */
function misshapenPath(signal: OtlpSignal, object: JsonObject): string | null {
  const { resourcesField, scopesField, itemsField } = OTLP_TYPES[signal];
  const resources = object[resourcesField];
  if (resources === undefined || resources === null) return null;
  for (const [r, resource] of (resources as unknown[]).entries()) {
    const at = `${resourcesField}[${r}]`;
    if (!asObject(resource)) return `${at} is not an object`;
    const scopes = (resource as JsonObject)[scopesField];
    if (scopes === undefined || scopes === null) continue;
    if (!Array.isArray(scopes)) return `${at}.${scopesField} is not an array`;
    for (const [s, scope] of scopes.entries()) {
      if (!asObject(scope)) return `${at}.${scopesField}[${s}] is not an object`;
      const items = (scope as JsonObject)[itemsField];
      if (items !== undefined && items !== null && !Array.isArray(items)) return `${at}.${scopesField}[${s}].${itemsField} is not an array`;
    }
  }
  return null;
}

/**
 * The export response in the request's encoding. `partialSuccess` is set only when something was
 * refused, as the specification asks (an empty response is full success).
 */
export function encodeOtlpResponse(signal: OtlpSignal, encoding: OtlpEncoding, rejected: number, errorMessage: string): Buffer | JsonObject {
  const { response, rejectedField } = OTLP_TYPES[signal];
  const partial = rejected > 0 || errorMessage !== '' ? { partialSuccess: { [rejectedField]: String(rejected), errorMessage } } : {};
  if (encoding === 'json') return partial;
  return Buffer.from(response.encode(response.fromObject(partial)).finish());
}
