import fs from 'node:fs';
import { createRestClient, ingestSummaryOfError, type RestClient } from '@tally/client';
import type { IngestSummary } from '@tally/protocol';
import { CLI_USER_AGENT } from './cli-user-agent.js';
import { findWorkspace } from './find-workspace.js';
import { createIngestProgress } from './ingest-progress.js';
import { detectUsageFormat, sampleUsageText } from '../usage/formats/detect-format.js';
import { plainTextFile } from '../usage/formats/plain-text-file.js';
import { createBoundaryFinder, type PartLayout } from '../usage/formats/record-boundaries.js';
import { isUsageFormatName, USAGE_FORMAT_NAMES, type CsvMapping, type UsageFormatName } from '../usage/formats/usage-format.js';

/**
 * Parts of at most this size are uploaded one after another, so files of any size go in; small
 * enough that the progress bar moves several times a second (a part is one request).
 */
const PART_BYTES = 1024 * 1024;
/** The start of the file read to detect its format here (the server is told it for every part). */
const HEAD_BYTES = 1024 * 1024;

export interface IngestOptions {
  file: string;
  url: string;
  email: string | undefined;
  password: string | undefined;
  /** The workspace to add the usage to, by id or name; absent: the account's personal workspace. */
  workspace?: string;
  /** The file's format; detected from its start when absent. */
  format?: string;
  /** A JSON file mapping CSV columns to record fields. */
  mapping?: string;
  /** Upload part size in bytes (1 MiB); tests use small parts to cross part boundaries. */
  partBytes?: number;
}

/**
 * `tally ingest FILE`: streams a usage file to a server in parts cut between records, with a
 * progress bar, and prints the summed ingest summary with the bad lines' numbers in the whole
 * file. The format is detected here from the file's start (or given with --format) and sent with
 * every part, so a part from the middle of a file is read as the file is; a CSV file's header is
 * sent again in front of every part after the first.
 */
export async function ingestCommand(options: IngestOptions): Promise<number> {
  // The account is checked before any work on the file.
  if (!options.email || !options.password) {
    process.stderr.write('tally: ingest needs an account: --email E (or TALLY_EMAIL) and its password in TALLY_PASSWORD (or run it in a terminal to be asked)\n');
    return 2;
  }
  // gzip (`.gz`) and UTF-16 files are decoded to a UTF-8 copy first: parts are cut in UTF-8 text.
  const plain = await plainTextFile(options.file);
  try {
    return await ingestPlainFile({ ...options, email: options.email, password: options.password, file: plain.path });
  } finally {
    await plain.cleanup();
  }
}

async function ingestPlainFile(options: IngestOptions & { email: string; password: string }): Promise<number> {
  const size = fs.statSync(options.file).size;
  if (options.format !== undefined && !isUsageFormatName(options.format)) {
    process.stderr.write(`tally: --format must be one of ${USAGE_FORMAT_NAMES.join(', ')}\n`);
    return 2;
  }
  const mapping = options.mapping === undefined ? undefined : readMapping(options.mapping);
  if (mapping instanceof Error) {
    process.stderr.write(`tally: --mapping ${options.mapping}: ${mapping.message}\n`);
    return 2;
  }
  const plan = planParts(options.file, options.format, mapping);
  let token: string | undefined;
  const client = createRestClient({ baseUrl: options.url.replace(/\/$/, ''), getAccessToken: () => token, userAgent: CLI_USER_AGENT });
  token = (await client.login({ email: options.email, password: options.password })).accessToken;
  let workspace;
  try {
    workspace = await findWorkspace(client, options.workspace);
  } catch (error) {
    process.stderr.write(`tally: --workspace: ${(error as Error).message}\n`);
    return 2;
  }

  const total: IngestSummary = { lines: 0, inserted: 0, duplicates: 0, rejected: 0, errors: [], unpricedModels: [] };
  const bar = createIngestProgress(size);
  let sent = 0;
  let linesBefore = 0;
  const query = { format: plan.format, ...(mapping ? { mapping: JSON.stringify(mapping) } : {}) };
  try {
    for await (const part of recordAlignedParts(options.file, options.partBytes ?? PART_BYTES, plan.layout)) {
      // Every CSV part after the first gets the header again; its line numbers shift by one.
      const header = sent > 0 ? plan.csvHeader : undefined;
      const summary = await uploadPart(client, workspace.id, header ? Buffer.concat([header, part]) : part, query);
      addSummary(total, summary, linesBefore - (header ? 1 : 0));
      linesBefore += countNewlines(part);
      sent += part.length;
      bar.update(sent, total);
    }
  } finally {
    bar.stop();
  }
  process.stdout.write(
    `Workspace: ${workspace.name}${workspace.personal ? ' (personal)' : ''}\n` +
    `Format: ${plan.format}${options.format ? '' : ' (detected)'}\n` +
    `${total.lines} lines: ${total.inserted} stored, ${total.duplicates} already there, ${total.rejected} rejected\n` +
      total.errors.map((e) => `  line ${e.line}: ${e.reason}\n`).join('') +
      (total.rejected > total.errors.length ? `  ... and ${total.rejected - total.errors.length} more\n` : '') +
      (total.unpricedModels.length ? `Models without a known price (not counted in costs): ${total.unpricedModels.join(', ')}\n` : ''),
  );
  return total.rejected > 0 && total.inserted + total.duplicates === 0 ? 1 : 0;
}

async function uploadPart(client: RestClient, workspaceId: string, part: Buffer, query: { format: UsageFormatName; mapping?: string }): Promise<IngestSummary> {
  try {
    return await client.uploadUsage(workspaceId, part, query);
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

interface PartPlan {
  format: UsageFormatName;
  layout: PartLayout;
  /** A CSV file's header line, with its newline. */
  csvHeader?: Buffer;
}

/** Detects the file's format from its start and decides where parts may be cut. */
function planParts(file: string, format: UsageFormatName | undefined, mapping: CsvMapping | undefined): PartPlan {
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(Math.min(HEAD_BYTES, fs.fstatSync(fd).size));
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const sample = sampleUsageText(new TextDecoder().decode(head), head.length < HEAD_BYTES);
  const chosen = format ?? detectUsageFormat(sample, { mapping }).format.name;
  // Any CSV (generic, LiteLLM, Cursor, OpenRouter, Helicone exports): parts get the header again.
  if (sample.framing === 'csv') {
    const newline = head.indexOf(0x0a);
    return { format: chosen, layout: 'csv', csvHeader: newline === -1 ? undefined : Buffer.from(head.subarray(0, newline + 1)) };
  }
  if (sample.jsonLayout === 'documents') return { format: chosen, layout: 'json-documents' };
  return { format: chosen, layout: chosen === 'claude-code' ? 'claude-code' : chosen === 'codex' ? 'codex' : 'lines' };
}

function readMapping(file: string): CsvMapping | Error {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
      return new Error('expected a JSON object from column name to field name');
    }
    return value as CsvMapping;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Reads the file in parts of about `size` bytes, each ending between two records (but the last). */
async function* recordAlignedParts(file: string, size: number, layout: PartLayout): AsyncGenerator<Buffer> {
  const finder = createBoundaryFinder(layout);
  let carry = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: size })) {
    const cut = finder.scan(chunk as Buffer);
    const buffer = Buffer.concat([carry, chunk as Buffer]);
    if (cut === -1) {
      carry = buffer;
      continue;
    }
    yield buffer.subarray(0, carry.length + cut);
    carry = buffer.subarray(carry.length + cut);
  }
  if (carry.length > 0) yield carry;
}

function countNewlines(buffer: Buffer): number {
  let n = 0;
  for (let i = buffer.indexOf(0x0a); i !== -1; i = buffer.indexOf(0x0a, i + 1)) n++;
  return n;
}
