import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeUsageText } from './usage-bytes.js';

const TEXT = '{"ts":"2026-11-01T00:00:00Z","model":"gpt-4o-mini","inputTokens":1,"outputTokens":2,"project":"café ☕"}\n';

async function text(source: Iterable<Uint8Array | string>, options = {}): Promise<string> {
  let out = '';
  for await (const piece of decodeUsageText(source, options)) out += piece;
  return out;
}
/** Bytes cut into pieces of `size`: characters, BOMs and gzip headers split across chunks. */
const pieces = (bytes: Uint8Array, size: number) => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
const utf16be = (s: string) => {
  const le = Buffer.from(s, 'utf16le');
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return le;
};

describe('decodeUsageText', () => {
  it('reads UTF-8 (with or without a BOM) and text as it is', async () => {
    expect(await text(pieces(Buffer.from(TEXT), 3))).toBe(TEXT);
    expect(await text(pieces(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]), 1))).toBe(TEXT);
    expect(await text([TEXT.slice(0, 5), TEXT.slice(5)])).toBe(TEXT);
  });

  it('reads UTF-16 LE and BE by their byte-order mark (PowerShell, Excel "Unicode text")', async () => {
    expect(await text(pieces(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]), 3))).toBe(TEXT);
    expect(await text(pieces(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)]), 1))).toBe(TEXT);
  });

  it('inflates gzip by its magic bytes, with or without Content-Encoding; gzipped UTF-16 too; concatenated members in turn', async () => {
    expect(await text(pieces(gzipSync(TEXT), 2))).toBe(TEXT);
    expect(await text([gzipSync(TEXT)], { contentEncoding: 'gzip' })).toBe(TEXT);
    expect(await text(pieces(gzipSync(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')])), 5))).toBe(TEXT);
    expect(await text([Buffer.concat([gzipSync(TEXT), gzipSync(TEXT)])])).toBe(TEXT + TEXT);
  });

  it('refuses a body that says gzip but is not, broken gzip, an unsupported encoding, and a bomb past the limit', async () => {
    await expect(text([Buffer.from(TEXT)], { contentEncoding: 'gzip' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/not gzip data/) });
    await expect(text([gzipSync(TEXT).subarray(0, 20)])).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/gzip data cannot be read/) });
    await expect(text([Buffer.from(TEXT)], { contentEncoding: 'br' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/Content-Encoding br is not supported/) });
    await expect(text([gzipSync(Buffer.alloc(100_000, 0x20))], { maxInflatedBytes: 10_000 })).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
  });
});
