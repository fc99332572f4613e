import { describe, expect, it } from 'vitest';
import { joinPacked, packStrings, packedAt, packedText, selectPacked, slicePacked, unpackStrings } from './packed-strings.js';

describe('packed strings', () => {
  const parts = ['{"k":"a"}', '', '{"k":"b,c"}', 'ü\ud83d\ude00'];

  it('packs and unpacks, separators inside the strings included', () => {
    const packed = packStrings(parts, ',');
    expect(packedText(packed)).toBe(parts.join(','));
    expect(packed.segments).toEqual([parts.join(',')]);
    expect(unpackStrings(packed)).toEqual(parts);
    expect(packedAt(packed, 2)).toBe('{"k":"b,c"}');
    expect(unpackStrings(packStrings(parts, ''))).toEqual(parts);
    expect(unpackStrings(packStrings([], ','))).toEqual([]);
    expect(packedText(packStrings([], ','))).toBe('');
  });

  it('joins packs by listing their segments, no text copied, empty packs left out', () => {
    const first = packStrings(parts, ',');
    const joined = joinPacked([first, packStrings([], ','), packStrings(['x', 'y'], ',')], ',');
    expect(joined.segments).toHaveLength(2);
    expect(joined.segments[0]).toBe(first.segments[0]);
    expect(packedText(joined)).toBe([...parts, 'x', 'y'].join(','));
    expect(unpackStrings(joined)).toEqual([...parts, 'x', 'y']);
    expect(() => joinPacked([packStrings(['a'], ','), packStrings(['b'], '\n')], ',')).toThrow(TypeError);
  });

  it('finds every string of a joined pack, empty ones at a segment’s edge included, with and without a separator', () => {
    for (const separator of [',', '']) {
      const packs = [[''], ['a', ''], ['', 'bc'], ['d'], ['', '']].map((p) => packStrings(p, separator));
      const joined = joinPacked(packs, separator);
      const all = packs.flatMap((p) => unpackStrings(p));
      expect(unpackStrings(joined)).toEqual(all);
      expect(packedText(joined)).toBe(all.join(separator));
      expect(unpackStrings(joinPacked([joined, packStrings(['z'], separator)], separator))).toEqual([...all, 'z']);
      expect(() => packedAt(joined, all.length)).toThrow(RangeError);
    }
  });

  it('selects and slices, returning the pack itself when nothing is left out', () => {
    const packed = packStrings(parts, '\n');
    expect(selectPacked(packed, () => true)).toBe(packed);
    expect(unpackStrings(selectPacked(packed, (i) => i % 2 === 1))).toEqual([parts[1], parts[3]]);
    expect(slicePacked(packed, 0, 99)).toBe(packed);
    expect(unpackStrings(slicePacked(packed, 1, 3))).toEqual(parts.slice(1, 3));
    expect(unpackStrings(slicePacked(packed, 2, 4))).toEqual(parts.slice(2, 4));
    expect(unpackStrings(slicePacked(packed, 3, 3))).toEqual([]);
  });

  it('selects and slices a joined pack across its segments', () => {
    const joined = joinPacked([packStrings(parts, '\n'), packStrings(['x', 'y', 'z'], '\n')], '\n');
    const all = [...parts, 'x', 'y', 'z'];
    expect(unpackStrings(selectPacked(joined, (i) => i >= 3 && i <= 5))).toEqual(all.slice(3, 6));
    for (const [from, to] of [[0, 4], [3, 6], [4, 7], [2, 99]] as const) {
      const slice = slicePacked(joined, from, to);
      expect(unpackStrings(slice)).toEqual(all.slice(from, to));
      expect(packedText(slice)).toBe(all.slice(from, to).join('\n'));
    }
  });
});
