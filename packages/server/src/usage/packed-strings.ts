/**
 * Many strings as one: their text joined by a separator, and where each ends. A request's rows
 * held this way are one string (large ones live outside the young generation, so a garbage
 * collection never copies them) and one typed array, instead of hundreds of objects that survive
 * collections until their insert ends. Joining two is one string concatenation.
 */
export interface PackedStrings {
  /** The strings joined by `separator`. */
  readonly text: string;
  /** Where string i ends in `text` (exclusive): it starts after string i-1's end and the separator. */
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
  return { text: parts.join(separator), ends, separator };
}

export function packedCount(packed: PackedStrings): number {
  return packed.ends.length;
}

/** String i of the packed ones. */
export function packedAt(packed: PackedStrings, i: number): string {
  const start = i === 0 ? 0 : packed.ends[i - 1]! + packed.separator.length;
  return packed.text.slice(start, packed.ends[i]);
}

/** Every packed string, in order. */
export function unpackStrings(packed: PackedStrings): string[] {
  return Array.from({ length: packed.ends.length }, (_, i) => packedAt(packed, i));
}

/** Several packs (of one separator) as one: their texts concatenated, not copied string by string. */
export function joinPacked(packs: readonly PackedStrings[], separator: string): PackedStrings {
  const nonEmpty = packs.filter((p) => p.ends.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  const ends = new Uint32Array(nonEmpty.reduce((n, p) => n + p.ends.length, 0));
  let offset = 0;
  let written = 0;
  for (const pack of nonEmpty) {
    if (pack.separator !== separator) throw new TypeError(`packed with ${JSON.stringify(pack.separator)}, joined with ${JSON.stringify(separator)}`);
    if (written > 0) offset += separator.length;
    for (let i = 0; i < pack.ends.length; i++) ends[written + i] = pack.ends[i]! + offset;
    written += pack.ends.length;
    offset = ends[written - 1]!;
  }
  // Concatenated with +, which V8 keeps as a rope until the text is read: it is copied once, when
  // the insert sends it, not once here and again there.
  let text = '';
  for (const [i, pack] of nonEmpty.entries()) text = i === 0 ? pack.text : text + separator + pack.text;
  return { text, ends, separator };
}

/** The packed strings whose index `keep` accepts, in order; the pack itself when it keeps all. */
export function selectPacked(packed: PackedStrings, keep: (i: number) => boolean): PackedStrings {
  const kept: string[] = [];
  for (let i = 0; i < packed.ends.length; i++) if (keep(i)) kept.push(packedAt(packed, i));
  return kept.length === packed.ends.length ? packed : packStrings(kept, packed.separator);
}

/** Strings [from, to) of the pack: one substring, no copy string by string. */
export function slicePacked(packed: PackedStrings, from: number, to: number): PackedStrings {
  const end = Math.min(to, packed.ends.length);
  if (from === 0 && end === packed.ends.length) return packed;
  if (end <= from) return { text: '', ends: new Uint32Array(0), separator: packed.separator };
  const start = from === 0 ? 0 : packed.ends[from - 1]! + packed.separator.length;
  return { text: packed.text.slice(start, packed.ends[end - 1]), ends: packed.ends.slice(from, end).map((e) => e - start), separator: packed.separator };
}
