import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { joinPacked, packStrings, packedAt, packedText, packedTransferList, selectPacked, slicePacked, unpackStrings, type PackedStrings } from './packed-strings.js';

describe('packed strings', () => {
  // Multi-byte text (2, 3 and 4 bytes a character) where byte and character offsets part ways.
  const parts = ['{"k":"a"}', '', '{"k":"b,c"}', 'ü\ud83d\ude00', '€ and ,'];

  it('packs and unpacks, separators inside the strings included', () => {
    const packed = packStrings(parts, ',');
    expect(packedText(packed)).toBe(parts.join(','));
    expect(packed.bytes.byteLength).toBe(Buffer.byteLength(parts.join(',')));
    expect(unpackStrings(packed)).toEqual(parts);
    expect(packedAt(packed, 2)).toBe('{"k":"b,c"}');
    expect(packedAt(packed, 4)).toBe('€ and ,');
    expect(unpackStrings(packStrings(parts, ''))).toEqual(parts);
    expect(unpackStrings(packStrings([], ','))).toEqual([]);
    expect(packedText(packStrings([], ','))).toBe('');
  });

  it('keeps a lone surrogate as U+FFFD, as both stores keep text', () => {
    expect(unpackStrings(packStrings(['a\ud800b', 'c'], '\n'))).toEqual(['a\ufffdb', 'c']);
  });

  it('takes a separator of one ASCII character or none', () => {
    expect(() => packStrings(['a'], ', ')).toThrow(TypeError);
    expect(() => packStrings(['a'], '€')).toThrow(TypeError);
  });

  it('joins packs by copying their bytes, empty packs left out', () => {
    const joined = joinPacked([packStrings(parts, ','), packStrings([], ','), packStrings(['x', 'ÿ'], ',')], ',');
    expect(packedText(joined)).toBe([...parts, 'x', 'ÿ'].join(','));
    expect(unpackStrings(joined)).toEqual([...parts, 'x', 'ÿ']);
    expect(unpackStrings(joinPacked([packStrings(['ü'], ''), packStrings(['€'], '')], ''))).toEqual(['ü', '€']);
    expect(() => joinPacked([packStrings(['a'], ','), packStrings(['b'], '\n')], ',')).toThrow(TypeError);
  });

  it('selects and slices, returning the pack itself when nothing is left out', () => {
    const packed = packStrings(parts, '\n');
    expect(selectPacked(packed, () => true)).toBe(packed);
    expect(unpackStrings(selectPacked(packed, (i) => i % 2 === 1))).toEqual([parts[1], parts[3]]);
    expect(packedText(selectPacked(packed, (i) => i >= 3))).toBe(parts.slice(3).join('\n'));
    expect(unpackStrings(selectPacked(packed, () => false))).toEqual([]);
    expect(slicePacked(packed, 0, 99)).toBe(packed);
    expect(unpackStrings(slicePacked(packed, 1, 3))).toEqual(parts.slice(1, 3));
    expect(unpackStrings(slicePacked(packed, 3, 5))).toEqual(parts.slice(3, 5));
    expect(packedText(slicePacked(packed, 3, 5))).toBe(parts.slice(3, 5).join('\n'));
    expect(unpackStrings(slicePacked(packed, 3, 3))).toEqual([]);
  });

  it('moves to another thread whole when it owns its buffers, and never lists a shared one', () => {
    const packed = packStrings(parts, '\n');
    const slice = slicePacked(packed, 1, 4);
    const view: PackedStrings = { ...packed, bytes: packed.bytes.subarray(0, packed.ends[0]), ends: packed.ends.subarray(0, 1) };
    expect(packedTransferList(view)).toEqual([]);
    for (const pack of [packed, slice, joinPacked([packed, slice], '\n'), selectPacked(packed, (i) => i > 0)]) {
      const { port1, port2 } = new MessageChannel();
      const list = packedTransferList(pack);
      expect(list).toHaveLength(2);
      const expected = unpackStrings(pack);
      port1.postMessage(pack, list);
      const received = receiveMessageOnPort(port2)!.message as PackedStrings;
      expect(unpackStrings(received)).toEqual(expected);
      // Moved, not copied: the sender's view is detached.
      expect(pack.bytes.byteLength).toBe(0);
      port1.close();
    }
  });
});
