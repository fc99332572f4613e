import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AppError } from '../../app-error.js';
import type { ChunkSource } from './text-lines.js';

/** Largest decompressed size of one gzip upload: a bound on what a small compressed body can expand to. */
export const MAX_INFLATED_BYTES = 4 * 1024 * 1024 * 1024;

export interface DecodeOptions {
  /** The body's `Content-Encoding`: `gzip` (or none). gzip content is also recognised by its magic bytes. */
  contentEncoding?: string;
  /** Decompressed bytes allowed (MAX_INFLATED_BYTES). */
  maxInflatedBytes?: number;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * The text of a usage upload, whatever its encoding: gzip content (told by its magic bytes, by a
 * `.gz` name upstream, or by `Content-Encoding: gzip`) is inflated as it streams; then the text is
 * UTF-16 LE or BE when it starts with that byte-order mark (what PowerShell's `Out-File` and
 * Excel's "Unicode text" write), else UTF-8; the byte-order mark is dropped.
 * A character split across chunks is kept whole. Text chunks (strings) pass as they are.
 */
export async function* decodeUsageText(source: ChunkSource, options: DecodeOptions = {}): AsyncGenerator<string> {
  const encoding = options.contentEncoding?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new AppError('VALIDATION_FAILED', `Content-Encoding ${encoding} is not supported; send the file as it is, or gzip it (Content-Encoding: gzip).`);
  }
  const first = await peekBytes(source, 4);
  if (first.text) {
    yield* first.text;
    return;
  }
  const gzip = startsWith(first.head, GZIP_MAGIC);
  if ((encoding === 'gzip' || encoding === 'x-gzip') && !gzip && first.head.length > 0) {
    throw new AppError('VALIDATION_FAILED', 'The body is sent with Content-Encoding: gzip but is not gzip data.');
  }
  const bytes = gzip ? inflate(first.bytes, options.maxInflatedBytes ?? MAX_INFLATED_BYTES) : first.bytes;
  const text = gzip ? await peekBytes(bytes, 4) : first;
  yield* decodeByBom(text.bytes, text.head);
}

interface Peeked {
  /** The first bytes (at least `n` unless the source is shorter). */
  head: Uint8Array;
  /** All the bytes, the head included. */
  bytes: AsyncGenerator<Uint8Array>;
  /** Set instead when the source yields text. */
  text?: AsyncGenerator<string>;
}

/** Reads enough of a byte source to see its first `n` bytes, and hands back the whole of it. */
async function peekBytes(source: ChunkSource | AsyncIterable<Uint8Array>, n: number): Promise<Peeked> {
  const iterator = asyncIteratorOf(source);
  const held: Uint8Array[] = [];
  let size = 0;
  let done = false;
  while (size < n) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk: unknown = next.value;
    if (typeof chunk === 'string') {
      if (held.length > 0) throw new TypeError('usage source mixed bytes and text');
      return { head: new Uint8Array(), bytes: emptyBytes(), text: textRest(chunk, iterator) };
    }
    if (!(chunk instanceof Uint8Array)) throw new TypeError(`usage source yielded ${typeof chunk}, expected bytes or text`);
    held.push(chunk);
    size += chunk.byteLength;
  }
  const head = Buffer.concat(held);
  async function* all(): AsyncGenerator<Uint8Array> {
    if (head.length > 0) yield head;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      if (!(next.value instanceof Uint8Array)) throw new TypeError('usage source mixed bytes and text');
      yield next.value;
    }
  }
  return { head, bytes: all() };
}

/** An async iterator over a source that may be sync (an array of chunks) or async (a stream). */
function asyncIteratorOf(source: ChunkSource | AsyncIterable<Uint8Array>): AsyncIterator<unknown> {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const sync = (source as Iterable<unknown>)[Symbol.iterator]();
  return { next: async () => sync.next() };
}

async function* emptyBytes(): AsyncGenerator<Uint8Array> {}

async function* textRest(first: string, iterator: AsyncIterator<unknown>): AsyncGenerator<string> {
  yield first;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    if (typeof next.value !== 'string') throw new TypeError('usage source mixed bytes and text');
    yield next.value;
  }
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** gzip data inflated as it streams (several members, as `cat a.gz b.gz` makes, are read in turn). */
async function* inflate(bytes: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip();
  const input = Readable.from(bytes);
  input.on('error', (error) => gunzip.destroy(error));
  input.pipe(gunzip);
  let size = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new AppError('BODY_TOO_LARGE', `The gzip data expands past ${maxBytes} bytes.`);
      yield chunk;
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('VALIDATION_FAILED', `The gzip data cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    input.unpipe(gunzip);
    input.destroy();
    gunzip.destroy();
  }
}

/** Text by byte-order mark: UTF-16 LE (`FF FE`), UTF-16 BE (`FE FF`), else UTF-8. */
async function* decodeByBom(bytes: AsyncIterable<Uint8Array>, head: Uint8Array): AsyncGenerator<string> {
  const label = startsWith(head, [0xff, 0xfe]) ? 'utf-16le' : startsWith(head, [0xfe, 0xff]) ? 'utf-16be' : 'utf-8';
  // The decoder drops the byte-order mark.
  const decoder = new TextDecoder(label);
  for await (const chunk of bytes) {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') yield text;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}
