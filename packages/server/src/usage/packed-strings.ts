/**
 * Many strings as one: their text joined by a separator, and where each ends. A request's rows
 * held this way are a string and one typed array, instead of hundreds of objects that survive
 * collections until their insert ends.
 *
 * The text is kept in segments, one per pack joined into this one (each as it came, from the OTLP
 * reader thread typically), and is only ever concatenated where it is used whole: by a store on
 * its own thread, or by a consumer that takes one string (packedText). Joining packs by string
 * concatenation made the main thread, which serves every socket, copy every merged insert's rows
 * into one new large string (and the insert's brackets into another) only to post them to the
 * database thread. Measured against that, others' streams under an exporter did not change beyond
 * the noise: the main thread's full collections have other causes too (docs/DECISIONS.md, session 20).
 */
export interface PackedStrings {
  /** The text, in segments: their concatenation with `separator` between them is the strings joined by it. Each holds whole strings. */
  readonly segments: readonly string[];
  /** Where string i ends in the text (exclusive): it starts after string i-1's end and the separator. */
  readonly ends: Uint32Array;
  /** One character or none; the same for everything packed together. */
  readonly separator: string;
}

export function packStrings(parts: readonly string[], separator: string): PackedStrings {
  const ends = new Uint32Array(parts.length);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    at += (i > 0 ? separator.length : 0) + parts[i]!.length;
    ends[i] = at;
  }
  return { segments: parts.length > 0 ? [parts.join(separator)] : [], ends, separator };
}

export function packedCount(packed: PackedStrings): number {
  return packed.ends.length;
}

/** String i of the packed ones: a slice of the segment holding it. */
export function packedAt(packed: PackedStrings, i: number): string {
  const start = i === 0 ? 0 : packed.ends[i - 1]! + packed.separator.length;
  const end = packed.ends[i]!;
  let base = 0;
  for (const segment of packed.segments) {
    if (end <= base + segment.length) return segment.slice(start - base, end - base);
    base += segment.length + packed.separator.length;
  }
  throw new RangeError(`string ${i} of ${packed.ends.length} packed`);
}

/** Every packed string, in order: one walk over the segments (packedAt looks each one up). */
export function unpackStrings(packed: PackedStrings): string[] {
  const strings = new Array<string>(packed.ends.length);
  const gap = packed.separator.length;
  let segment = 0;
  let base = 0;
  for (let i = 0; i < packed.ends.length; i++) {
    const start = i === 0 ? 0 : packed.ends[i - 1]! + gap;
    const end = packed.ends[i]!;
    while (end > base + packed.segments[segment]!.length) base += packed.segments[segment++]!.length + gap;
    strings[i] = packed.segments[segment]!.slice(start - base, end - base);
  }
  return strings;
}

/** The strings joined by the separator, as one string (for a consumer that takes text whole). */
export function packedText(packed: PackedStrings): string {
  return packed.segments.length === 1 ? packed.segments[0]! : packed.segments.join(packed.separator);
}

/** Several packs (of one separator) as one: their segments listed together, no text copied. */
export function joinPacked(packs: readonly PackedStrings[], separator: string): PackedStrings {
  const nonEmpty = packs.filter((p) => p.ends.length > 0);
  for (const pack of nonEmpty) {
    if (pack.separator !== separator) throw new TypeError(`packed with ${JSON.stringify(pack.separator)}, joined with ${JSON.stringify(separator)}`);
  }
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const ends = new Uint32Array(nonEmpty.reduce((n, p) => n + p.ends.length, 0));
  let offset = 0;
  let written = 0;
  for (const pack of nonEmpty) {
    if (written > 0) offset += separator.length;
    for (let i = 0; i < pack.ends.length; i++) ends[written + i] = pack.ends[i]! + offset;
    written += pack.ends.length;
    offset = ends[written - 1]!;
  }
  return { segments: nonEmpty.flatMap((p) => p.segments), ends, separator };
}

/** The packed strings whose index `keep` accepts, in order; the pack itself when it keeps all. */
export function selectPacked(packed: PackedStrings, keep: (i: number) => boolean): PackedStrings {
  const kept = unpackStrings(packed).filter((_, i) => keep(i));
  return kept.length === packed.ends.length ? packed : packStrings(kept, packed.separator);
}

/** Strings [from, to) of the pack: one substring when they lie in one segment. */
export function slicePacked(packed: PackedStrings, from: number, to: number): PackedStrings {
  const end = Math.min(to, packed.ends.length);
  if (from === 0 && end === packed.ends.length) return packed;
  if (end <= from) return { segments: [], ends: new Uint32Array(0), separator: packed.separator };
  if (packed.segments.length > 1) return packStrings(unpackStrings(packed).slice(from, end), packed.separator);
  const start = from === 0 ? 0 : packed.ends[from - 1]! + packed.separator.length;
  return { segments: [packed.segments[0]!.slice(start, packed.ends[end - 1])], ends: packed.ends.slice(from, end).map((e) => e - start), separator: packed.separator };
}
