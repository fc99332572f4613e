import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeUsageText } from './usage-bytes.js';

/** A usage file as plain UTF-8 on disk: the file itself, or a decoded copy removed by `cleanup`. */
export interface PlainTextFile {
  path: string;
  /** True when the file was gzip or UTF-16 and `path` is a decoded copy. */
  decoded: boolean;
  cleanup(): Promise<void>;
}

/**
 * For `tally ingest`, which cuts a file into parts between records and so must read it as UTF-8
 * text: a gzip file (by its `.gz` name or its magic bytes) or a UTF-16 file (by its byte-order
 * mark) is decoded, streaming, into a temporary UTF-8 copy; any other file is used as it is.
 */
export async function plainTextFile(file: string): Promise<PlainTextFile> {
  const head = Buffer.alloc(4);
  const fd = await fsp.open(file, 'r');
  let read: number;
  try {
    ({ bytesRead: read } = await fd.read(head, 0, 4, 0));
  } finally {
    await fd.close();
  }
  const bytes = head.subarray(0, read);
  const gzip = file.toLowerCase().endsWith('.gz') || (bytes[0] === 0x1f && bytes[1] === 0x8b);
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  if (!gzip && !utf16) return { path: file, decoded: false, cleanup: async () => {} };
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tally-ingest-'));
  const copy = path.join(dir, path.basename(file).replace(/\.gz$/i, ''));
  const cleanup = () => fsp.rm(dir, { recursive: true, force: true });
  try {
    const text = decodeUsageText(fs.createReadStream(file), gzip ? { contentEncoding: 'gzip' } : {});
    await pipeline(Readable.from(text, { objectMode: false }), fs.createWriteStream(copy));
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { path: copy, decoded: true, cleanup };
}
