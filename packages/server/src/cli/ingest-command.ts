import fs from 'node:fs';
import cliProgress from 'cli-progress';
import { createRestClient, ingestSummaryOfError, type RestClient } from '@tally/client';
import type { IngestSummary } from '@tally/protocol';

/** Parts of at most this size are uploaded one after another, so files of any size go in. */
const PART_BYTES = 8 * 1024 * 1024;

export interface IngestOptions {
  file: string;
  url: string;
  email: string | undefined;
  password: string | undefined;
}

/**
 * `tally ingest FILE`: streams a usage file to a server in line-aligned parts, with a progress
 * bar, and prints the summed ingest summary with the bad lines' numbers in the whole file.
 */
export async function ingestCommand(options: IngestOptions): Promise<number> {
  if (!options.email || !options.password) {
    process.stderr.write('tally: ingest needs --email and --password (or TALLY_EMAIL and TALLY_PASSWORD)\n');
    return 2;
  }
  const size = fs.statSync(options.file).size;
  let token: string | undefined;
  const client = createRestClient({ baseUrl: options.url.replace(/\/$/, ''), getAccessToken: () => token });
  token = (await client.login({ email: options.email, password: options.password })).accessToken;

  const bar = new cliProgress.SingleBar(
    { format: 'ingest [{bar}] {percentage}% | {value}/{total} bytes | {inserted} new, {duplicates} dup, {rejected} bad', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const total: IngestSummary = { lines: 0, inserted: 0, duplicates: 0, rejected: 0, errors: [], unpricedModels: [] };
  bar.start(size, 0, { inserted: 0, duplicates: 0, rejected: 0 });
  let sent = 0;
  let linesBefore = 0;
  try {
    for await (const part of lineAlignedParts(options.file, PART_BYTES)) {
      const summary = await uploadPart(client, part);
      addSummary(total, summary, linesBefore);
      linesBefore += countNewlines(part);
      sent += part.length;
      bar.update(sent, { inserted: total.inserted, duplicates: total.duplicates, rejected: total.rejected });
    }
  } finally {
    bar.stop();
  }
  process.stdout.write(
    `${total.lines} lines: ${total.inserted} stored, ${total.duplicates} already there, ${total.rejected} rejected\n` +
      total.errors.map((e) => `  line ${e.line}: ${e.reason}\n`).join('') +
      (total.rejected > total.errors.length ? `  ... and ${total.rejected - total.errors.length} more\n` : '') +
      (total.unpricedModels.length ? `Models without a known price (not counted in costs): ${total.unpricedModels.join(', ')}\n` : ''),
  );
  return total.rejected > 0 && total.inserted + total.duplicates === 0 ? 1 : 0;
}

async function uploadPart(client: RestClient, part: Buffer): Promise<IngestSummary> {
  try {
    return await client.uploadUsage(part);
  } catch (error) {
    // A part with only bad lines answers 400 with its summary; an empty part says so too.
    const summary = ingestSummaryOfError(error);
    if (summary) return summary;
    if ((error as { code?: string }).code === 'USAGE_EMPTY') return { lines: 0, inserted: 0, duplicates: 0, rejected: 0, errors: [], unpricedModels: [] };
    throw error;
  }
}

function addSummary(total: IngestSummary, part: IngestSummary, linesBefore: number): void {
  total.lines += part.lines;
  total.inserted += part.inserted;
  total.duplicates += part.duplicates;
  total.rejected += part.rejected;
  for (const e of part.errors) if (total.errors.length < 100) total.errors.push({ line: e.line + linesBefore, reason: e.reason });
  for (const m of part.unpricedModels) if (!total.unpricedModels.includes(m)) total.unpricedModels.push(m);
}

/** Reads the file in parts of about `size` bytes, each ending at a newline (but the last). */
async function* lineAlignedParts(file: string, size: number): AsyncGenerator<Buffer> {
  let carry = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: size })) {
    const buffer = Buffer.concat([carry, chunk as Buffer]);
    const cut = buffer.lastIndexOf(0x0a);
    if (cut === -1) {
      carry = buffer;
      continue;
    }
    yield buffer.subarray(0, cut + 1);
    carry = buffer.subarray(cut + 1);
  }
  if (carry.length > 0) yield carry;
}

function countNewlines(buffer: Buffer): number {
  let n = 0;
  for (let i = buffer.indexOf(0x0a); i !== -1; i = buffer.indexOf(0x0a, i + 1)) n++;
  return n;
}
