import { describe, expect, it } from 'vitest';
import { joinPacked, packStrings, packedAt, selectPacked, slicePacked, unpackStrings } from './packed-strings.js';

describe('packed strings', () => {
  const parts = ['{"k":"a"}', '', '{"k":"b,c"}', 'ü\ud83d\ude00'];

  it('packs and unpacks, separators inside the strings included', () => {
    const packed = packStrings(parts, ',');
    expect(packed.text).toBe(parts.join(','));
    expect(unpackStrings(packed)).toEqual(parts);
    expect(packedAt(packed, 2)).toBe('{"k":"b,c"}');
    expect(unpackStrings(packStrings(parts, ''))).toEqual(parts);
    expect(unpackStrings(packStrings([], ','))).toEqual([]);
  });

  it('joins packs by concatenating their texts, empty packs left out', () => {
    const joined = joinPacked([packStrings(parts, ','), packStrings([], ','), packStrings(['x', 'y'], ',')], ',');
    expect(joined.text).toBe([...parts, 'x', 'y'].join(','));
    expect(unpackStrings(joined)).toEqual([...parts, 'x', 'y']);
    expect(() => joinPacked([packStrings(['a'], ','), packStrings(['b'], '\n')], ',')).toThrow(TypeError);
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
});
