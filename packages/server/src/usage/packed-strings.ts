/**
 * Many strings as one: their UTF-8 joined by a separator, and where each ends. A request's rows
 * held this way are two typed arrays, not hundreds of objects that survive collections until their
 * insert ends, nor one large string: bytes cross between threads by transfer or a plain copy and
 * live outside the JavaScript heap, so the main thread, which only passes an export's rows from
 * the OTLP reader to the store, neither copies them into its heap nor collects them (a 150 KB
 * string per request did both, and serialising the merged insert for the database thread was a
 * stall of every socket the node serves; docs/DECISIONS.md, session 20). Joining two is one copy
 * of bytes.
 */
export interface PackedStrings {
  /** The strings' UTF-8 joined by `separator`; it owns its buffer whole (see `packedTransferList`). */
  readonly bytes: Uint8Array;
  /** Where string i ends in `bytes` (exclusive, in bytes): it starts after string i-1's end and the separator. */
  readonly ends: Uint32Array;
  /** One ASCII character or none; the same for everything packed together. */
  readonly separator: string;
}

/** The separator's one byte, or none. */
function separatorBytes(separator: string): number {
  if (separator.length > 1 || separator.charCodeAt(0) > 0x7f) throw new TypeError(`a pack's separator is one ASCII character or none, got ${JSON.stringify(separator)}`);
  return separator.length;
}

/** A view of the bytes that reads and writes UTF-8 (Buffer's, without copying). */
function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function packStrings(parts: readonly string[], separator: string): PackedStrings {
  const gap = separatorBytes(separator);
  const ends = new Uint32Array(parts.length);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    at += (i > 0 ? gap : 0) + Buffer.byteLength(parts[i]!, 'utf8');
    ends[i] = at;
  }
  // Its own buffer (not a slice of Buffer's shared pool), so it can be transferred to a thread.
  const bytes = new Uint8Array(at);
  const buffer = bufferOf(bytes);
  let offset = 0;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0 && gap > 0) bytes[offset++] = separator.charCodeAt(0);
    offset += buffer.write(parts[i]!, offset, 'utf8');
  }
  return { bytes, ends, separator };
}

export function packedCount(packed: PackedStrings): number {
  return packed.ends.length;
}

/** Where string i starts in the bytes. */
function startOf(packed: PackedStrings, i: number): number {
  return i === 0 ? 0 : packed.ends[i - 1]! + packed.separator.length;
}

/** String i of the packed ones. */
export function packedAt(packed: PackedStrings, i: number): string {
  return bufferOf(packed.bytes).toString('utf8', startOf(packed, i), packed.ends[i]);
}

/** Every packed string, in order. */
export function unpackStrings(packed: PackedStrings): string[] {
  return Array.from({ length: packed.ends.length }, (_, i) => packedAt(packed, i));
}

/** The strings joined by the separator, as one string (for a consumer that takes text). */
export function packedText(packed: PackedStrings): string {
  return bufferOf(packed.bytes).toString('utf8');
}

/**
 * The buffers to list when posting the pack to a thread, so they move instead of being copied; the
 * pack is unusable here afterwards. Empty when a buffer is shared with anything else.
 */
export function packedTransferList(packed: PackedStrings): ArrayBuffer[] {
  const owned = [packed.bytes, packed.ends].every((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer);
  return owned ? [packed.bytes.buffer as ArrayBuffer, packed.ends.buffer as ArrayBuffer] : [];
}

/** Several packs (of one separator) as one: their bytes copied once into one buffer. */
export function joinPacked(packs: readonly PackedStrings[], separator: string): PackedStrings {
  const gap = separatorBytes(separator);
  const nonEmpty = packs.filter((p) => p.ends.length > 0);
  for (const pack of nonEmpty) {
    if (pack.separator !== separator) throw new TypeError(`packed with ${JSON.stringify(pack.separator)}, joined with ${JSON.stringify(separator)}`);
  }
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const ends = new Uint32Array(nonEmpty.reduce((n, p) => n + p.ends.length, 0));
  const bytes = new Uint8Array(nonEmpty.reduce((n, p) => n + p.bytes.byteLength, 0) + gap * Math.max(0, nonEmpty.length - 1));
  let offset = 0;
  let written = 0;
  for (const pack of nonEmpty) {
    if (written > 0 && gap > 0) bytes[offset++] = separator.charCodeAt(0);
    bytes.set(pack.bytes, offset);
    for (let i = 0; i < pack.ends.length; i++) ends[written + i] = pack.ends[i]! + offset;
    written += pack.ends.length;
    offset += pack.bytes.byteLength;
  }
  return { bytes, ends, separator };
}

/** The packed strings whose index `keep` accepts, in order, copied as bytes; the pack itself when it keeps all. */
export function selectPacked(packed: PackedStrings, keep: (i: number) => boolean): PackedStrings {
  const kept: number[] = [];
  for (let i = 0; i < packed.ends.length; i++) if (keep(i)) kept.push(i);
  if (kept.length === packed.ends.length) return packed;
  const gap = packed.separator.length;
  const lengths = kept.map((i) => packed.ends[i]! - startOf(packed, i));
  const bytes = new Uint8Array(lengths.reduce((n, l) => n + l, 0) + gap * Math.max(0, kept.length - 1));
  const ends = new Uint32Array(kept.length);
  let offset = 0;
  for (const [k, i] of kept.entries()) {
    if (k > 0 && gap > 0) bytes[offset++] = packed.separator.charCodeAt(0);
    bytes.set(packed.bytes.subarray(startOf(packed, i), packed.ends[i]), offset);
    offset += lengths[k]!;
    ends[k] = offset;
  }
  return { bytes, ends, separator: packed.separator };
}

/** Strings [from, to) of the pack, copied into a buffer of their own (a view would carry its whole buffer to a thread). */
export function slicePacked(packed: PackedStrings, from: number, to: number): PackedStrings {
  const end = Math.min(to, packed.ends.length);
  if (from === 0 && end === packed.ends.length) return packed;
  if (end <= from) return { bytes: new Uint8Array(0), ends: new Uint32Array(0), separator: packed.separator };
  const start = startOf(packed, from);
  return { bytes: packed.bytes.slice(start, packed.ends[end - 1]), ends: packed.ends.slice(from, end).map((e) => e - start), separator: packed.separator };
}
