import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenaiPriceCatalog } from '../../src/pricing/genai-price-catalog.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { detectUsageFormat, sampleUsageText } from '../../src/usage/formats/detect-format.js';
import { USAGE_FORMAT_NAMES, type CsvMapping, type UsageFormatName } from '../../src/usage/formats/usage-format.js';
import { createUsageIngester } from '../../src/usage/ingest/ingest-usage.js';
import { createSqlUsageStore } from '../../src/usage/sql/sql-usage-store.js';
import type { UsageStore } from '../../src/usage/usage-store.js';
import { insertAccount } from '../support/test-accounts.js';
import { newEmbeddedDataDir } from '../support/pglite-template.js';

/**
 * Every format's sample in docs/formats/ goes through the real ingester into the SQL store
 * (PGlite), and the stored totals equal a direct computation from the sample's own fields, done
 * here without the mappers. Detection picks the right format for each sample; ingesting it again
 * adds nothing.
 */
const docs = path.resolve(import.meta.dirname, '../../../../docs/formats');
const prices = createGenaiPriceCatalog();

/** One call as computed directly from a sample line, in Tally's disjoint buckets. */
interface Direct {
  model: string;
  ts: string;
  input: number;
  cacheRead: number;
  cacheWrite: number;
  /** 1-hour cache writes, where the source splits writes by TTL (apart from `cacheWrite`). */
  cacheWrite1h?: number;
  output: number;
  reasoning: number;
  batch: boolean;
  /** The provider the record names, when the format gives one (it decides the price). */
  provider?: string;
}

/** A member of free-form sample JSON, by path; undefined where the path does not lead. */
function at(value: unknown, ...keys: string[]): unknown {
  let v = value;
  for (const key of keys) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}
const n = (v: unknown): number => (v === undefined || v === null || v === '' ? 0 : Number(v));
const s = (v: unknown): string => String(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const jsonLines = (file: string): unknown[] =>
  fs.readFileSync(path.join(docs, file), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l): unknown => JSON.parse(l));
const csvRows = (file: string, delimiter = ','): Array<Record<string, string>> => parseCsv(fs.readFileSync(path.join(docs, file), 'utf8'), { columns: true, delimiter });
/** ISO or epoch seconds or milliseconds, a missing zone meaning UTC. */
function iso(v: unknown): string {
  if (typeof v === 'number' || /^\d+$/.test(s(v))) return new Date(s(v).length > 11 ? Number(v) : Number(v) * 1000).toISOString();
  const text = s(v).replace(' ', 'T');
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`).toISOString();
}

/** The direct computation per sample: the reference the stored totals must equal. */
const DIRECT: Record<string, () => Direct[]> = {
  'tally.ndjson': () =>
    jsonLines('tally.ndjson').map((r) => ({
      model: s(at(r, 'model')),
      ts: s(at(r, 'ts')),
      input: n(at(r, 'inputTokens')),
      cacheRead: n(at(r, 'cacheReadTokens')),
      cacheWrite: n(at(r, 'cacheWriteTokens')),
      cacheWrite1h: n(at(r, 'cacheWrite1hTokens')),
      output: n(at(r, 'outputTokens')),
      reasoning: n(at(r, 'reasoningTokens')),
      batch: at(r, 'batch') === true,
    })),
  'openai.jsonl': () =>
    jsonLines('openai.jsonl').flatMap((line): Direct[] => {
      const batch = at(line, 'custom_id') !== undefined;
      const body = batch ? at(line, 'response', 'body') : (at(line, 'response') ?? line);
      const u = at(body, 'usage');
      if (!u) return [];
      const chat = at(u, 'prompt_tokens') !== undefined;
      const all = n(at(u, chat ? 'prompt_tokens' : 'input_tokens'));
      const cached = n(at(u, chat ? 'prompt_tokens_details' : 'input_tokens_details', 'cached_tokens'));
      const reasoning = n(at(u, chat ? 'completion_tokens_details' : 'output_tokens_details', 'reasoning_tokens'));
      const ts = new Date(n(at(body, 'created') ?? at(body, 'created_at')) * 1000).toISOString();
      return [{ model: s(at(body, 'model')), ts, input: all - cached, cacheRead: cached, cacheWrite: 0, output: n(at(u, chat ? 'completion_tokens' : 'output_tokens')), reasoning, batch }];
    }),
  'anthropic.jsonl': () =>
    jsonLines('anthropic.jsonl').map((line) => {
      const message = at(line, 'result', 'message') ?? at(line, 'response') ?? line;
      const u = at(message, 'usage');
      const oneHour = n(at(u, 'cache_creation', 'ephemeral_1h_input_tokens'));
      const write = n(at(u, 'cache_creation_input_tokens') ?? n(at(u, 'cache_creation', 'ephemeral_5m_input_tokens')) + oneHour) - oneHour;
      const batch = at(line, 'result') !== undefined || at(u, 'service_tier') === 'batch';
      return { model: s(at(message, 'model')), ts: iso(at(line, 'timestamp')), input: n(at(u, 'input_tokens')), cacheRead: n(at(u, 'cache_read_input_tokens')), cacheWrite: write, cacheWrite1h: oneHour, output: n(at(u, 'output_tokens')), reasoning: 0, batch };
    }),
  'litellm.jsonl': () => litellmDirect(jsonLines('litellm.jsonl')),
  'litellm.csv': () => litellmDirect(csvRows('litellm.csv')),
  'otel.jsonl': () =>
    jsonLines('otel.jsonl').flatMap((request) =>
      list(at(request, 'resourceSpans')).flatMap((rs) =>
        list(at(rs, 'scopeSpans')).flatMap((ss) =>
          list(at(ss, 'spans')).flatMap((span): Direct[] => {
            const a = new Map(list(at(span, 'attributes')).map((x) => [s(at(x, 'key')), Object.values(at(x, 'value') ?? {})[0] as unknown]));
            if (['invoke_agent', 'execute_tool'].includes(s(a.get('gen_ai.operation.name')))) return [];
            const input = n(a.get('gen_ai.usage.input_tokens') ?? a.get('gen_ai.usage.prompt_tokens'));
            const output = n(a.get('gen_ai.usage.output_tokens') ?? a.get('gen_ai.usage.completion_tokens'));
            if (!input && !output) return [];
            const read = n(a.get('gen_ai.usage.cache_read.input_tokens'));
            const write = n(a.get('gen_ai.usage.cache_creation.input_tokens'));
            const ts = new Date(Number(BigInt(s(at(span, 'startTimeUnixNano'))) / 1_000_000n)).toISOString();
            return [{ model: s(a.get('gen_ai.response.model') ?? a.get('gen_ai.request.model')), ts, input: input - read - write, cacheRead: read, cacheWrite: write, output, reasoning: 0, batch: false }];
          }),
        ),
      ),
    ),
  'claude-code.jsonl': () => {
    const kept = new Map<string, Direct & { total: number }>();
    for (const line of jsonLines('claude-code.jsonl')) {
      const u = at(line, 'message', 'usage');
      if (at(line, 'type') !== 'assistant' || !u || at(line, 'message', 'model') === '<synthetic>') continue;
      const oneHour = n(at(u, 'cache_creation', 'ephemeral_1h_input_tokens'));
      const d = { model: s(at(line, 'message', 'model')), ts: s(at(line, 'timestamp')), input: n(at(u, 'input_tokens')), cacheRead: n(at(u, 'cache_read_input_tokens')), cacheWrite: n(at(u, 'cache_creation_input_tokens')) - oneHour, cacheWrite1h: oneHour, output: n(at(u, 'output_tokens')), reasoning: 0, batch: false };
      const total = d.input + d.cacheRead + d.cacheWrite + oneHour + d.output;
      const key = `${s(at(line, 'message', 'id'))}:${s(at(line, 'requestId'))}`;
      if ((kept.get(key)?.total ?? -1) <= total) kept.set(key, { ...d, total });
    }
    return [...kept.values()];
  },
  'codex.jsonl': () => {
    // Per session, differences of the cumulative total; an unchanged total is a repeat.
    let previous = [0, 0, 0, 0];
    let model = '';
    return jsonLines('codex.jsonl').flatMap((line): Direct[] => {
      if (at(line, 'type') === 'session_meta') previous = [0, 0, 0, 0];
      if (at(line, 'type') === 'turn_context') model = s(at(line, 'payload', 'model'));
      const t = at(line, 'payload', 'info', 'total_token_usage');
      if (at(line, 'payload', 'type') !== 'token_count' || !t) return [];
      const now = ['input_tokens', 'cached_input_tokens', 'output_tokens', 'reasoning_output_tokens'].map((k) => n(at(t, k)));
      const [input, cached, output, reasoning] = now.map((v, i) => v - previous[i]!) as [number, number, number, number];
      previous = now;
      if (input + output === 0) return [];
      return [{ model, provider: 'openai', ts: s(at(line, 'timestamp')), input: input - cached, cacheRead: cached, cacheWrite: 0, output, reasoning, batch: false }];
    });
  },
  'gemini-cli-telemetry.txt': () =>
    fs
      .readFileSync(path.join(docs, 'gemini-cli-telemetry.txt'), 'utf8')
      .split(/\n(?=\{)/)
      .map((doc): unknown => JSON.parse(doc))
      .filter((d) => at(d, 'attributes', 'event.name') === 'gemini_cli.api_response')
      .map((d) => {
        const a = (k: string) => n(at(d, 'attributes', k));
        return { model: s(at(d, 'attributes', 'model')), provider: 'google', ts: s(at(d, 'attributes', 'event.timestamp')), input: a('input_token_count') - a('cached_content_token_count') + a('tool_token_count'), cacheRead: a('cached_content_token_count'), cacheWrite: 0, output: a('output_token_count') + a('thoughts_token_count'), reasoning: a('thoughts_token_count'), batch: false };
      }),
  'cursor.csv': () =>
    csvRows('cursor.csv').map((r) => {
      const claude = /^claude-([\d.]+)-(sonnet|opus|haiku)/.exec(s(r['Model']));
      const model = claude ? `claude-${claude[2]}-${claude[1]}` : s(r['Model']);
      const provider = claude ? 'anthropic' : /^gpt/.test(model) ? 'openai' : 'google';
      return { model, provider, ts: iso(r['Date']), input: n(r['Input (w/o Cache Write)']), cacheRead: n(r['Cache Read']), cacheWrite: n(r['Input (w/ Cache Write)']), output: n(r['Output Tokens']), reasoning: 0, batch: false };
    }),
  'bedrock.jsonl': () => {
    const profiles = JSON.parse(fs.readFileSync(path.join(docs, 'bedrock.mapping.json'), 'utf8')) as Record<string, string>;
    return jsonLines('bedrock.jsonl')
      .filter((l) => at(l, 'input', 'inputTokenCount') !== undefined)
      .map((l) => {
        const id = s(at(l, 'modelId'));
        const model = (profiles[id] ?? id.split('/').pop()!).replace(/^(us|eu|global)\./, '');
        return { model, provider: 'aws', ts: iso(at(l, 'timestamp')), input: n(at(l, 'input', 'inputTokenCount')), cacheRead: n(at(l, 'input', 'cacheReadInputTokenCount')), cacheWrite: n(at(l, 'input', 'cacheWriteInputTokenCount')), output: n(at(l, 'output', 'outputTokenCount')), reasoning: 0, batch: false };
      });
  },
  'openrouter.jsonl': () =>
    jsonLines('openrouter.jsonl').flatMap((l) => {
      const data = at(l, 'data');
      return (Array.isArray(data) ? data : [data]).map((g): Direct => {
        if (at(g, 'requests') !== undefined) return { model: s(at(g, 'model')), provider: 'openrouter', ts: iso(at(g, 'date')), input: n(at(g, 'prompt_tokens')), cacheRead: 0, cacheWrite: 0, output: n(at(g, 'completion_tokens')), reasoning: n(at(g, 'reasoning_tokens')), batch: false };
        const cached = n(at(g, 'native_tokens_cached'));
        return { model: s(at(g, 'model')), provider: 'openrouter', ts: iso(at(g, 'created_at')), input: n(at(g, 'native_tokens_prompt')) - cached, cacheRead: cached, cacheWrite: 0, output: n(at(g, 'native_tokens_completion')), reasoning: n(at(g, 'native_tokens_reasoning')), batch: false };
      });
    }),
  'langfuse.jsonl': () =>
    jsonLines('langfuse.jsonl')
      .filter((o) => at(o, 'type') === 'GENERATION')
      .map((o) => {
        const u = (k: string) => n(at(o, 'usageDetails', k));
        return { model: s(at(o, 'model')), ts: iso(at(o, 'startTime')), input: u('input'), cacheRead: u('cache_read_input_tokens') + u('input_cached_tokens'), cacheWrite: u('cache_creation_input_tokens'), output: u('output') + u('output_reasoning_tokens'), reasoning: u('output_reasoning_tokens'), batch: false };
      }),
  'helicone.jsonl': () =>
    jsonLines('helicone.jsonl')
      .filter((r) => /^[0-]+$/.test(s(at(r, 'cache_reference_id'))))
      .map((r) => {
        const read = n(at(r, 'prompt_cache_read_tokens'));
        const write = n(at(r, 'prompt_cache_write_tokens'));
        const anthropic = at(r, 'provider') === 'ANTHROPIC';
        return { model: s(at(r, 'model')), provider: s(at(r, 'provider')).toLowerCase(), ts: iso(at(r, 'request_created_at')), input: n(at(r, 'prompt_tokens')) - (anthropic ? 0 : read + write), cacheRead: read, cacheWrite: write, output: n(at(r, 'completion_tokens')), reasoning: 0, batch: false };
      }),
  'csv-default.csv': () =>
    csvRows('csv-default.csv').map((r) => ({ model: s(r['model']), ts: iso(r['timestamp']), input: n(r['prompt_tokens']) - n(r['cached_tokens']), cacheRead: n(r['cached_tokens']), cacheWrite: 0, output: n(r['completion_tokens']), reasoning: 0, batch: false })),
  'csv-mapped.csv': () =>
    csvRows('csv-mapped.csv', ';').map((r) => ({ model: s(r['Engine']), ts: iso(r['Date']), input: n(r['Tokens In']) - n(r['Cache Hits']), cacheRead: n(r['Cache Hits']), cacheWrite: 0, output: n(r['Tokens Out']), reasoning: 0, batch: false })),
};

function litellmDirect(rows: unknown[]): Direct[] {
  return rows
    .filter((r) => s(at(r, 'cache_hit')).toLowerCase() !== 'true' && !s(at(r, 'call_type')).startsWith('aget_'))
    .map((r) => {
      const raw = at(r, 'metadata');
      const metadata: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
      const read = n(at(metadata, 'additional_usage_values', 'cache_read_input_tokens'));
      const write = n(at(metadata, 'additional_usage_values', 'cache_creation_input_tokens'));
      const model = s(at(r, 'model')).replace(/^openai\//, '');
      return { model, ts: iso(at(r, 'startTime')), input: n(at(r, 'prompt_tokens')) - read - write, cacheRead: read, cacheWrite: write, output: n(at(r, 'completion_tokens')), reasoning: 0, batch: false };
    });
}

/** `startLines`: how many first lines decide the format (a pretty-printed record spans many). */
const SAMPLES: Array<{ file: string; format: UsageFormatName; mapping?: string; startLines?: number }> = [
  { file: 'tally.ndjson', format: 'tally' },
  { file: 'openai.jsonl', format: 'openai' },
  { file: 'anthropic.jsonl', format: 'anthropic' },
  { file: 'litellm.jsonl', format: 'litellm' },
  { file: 'litellm.csv', format: 'litellm' },
  { file: 'otel.jsonl', format: 'otel' },
  { file: 'claude-code.jsonl', format: 'claude-code' },
  { file: 'codex.jsonl', format: 'codex' },
  { file: 'gemini-cli-telemetry.txt', format: 'gemini-cli', startLines: 32 },
  { file: 'cursor.csv', format: 'cursor' },
  { file: 'bedrock.jsonl', format: 'bedrock', mapping: 'bedrock.mapping.json' },
  { file: 'openrouter.jsonl', format: 'openrouter' },
  { file: 'langfuse.jsonl', format: 'langfuse' },
  { file: 'helicone.jsonl', format: 'helicone' },
  { file: 'csv-default.csv', format: 'csv' },
  { file: 'csv-mapped.csv', format: 'csv', mapping: 'csv-mapped.mapping.json' },
];

describe('every format ingests its docs sample into the SQL store (PGlite)', () => {
  let db: Db;
  let dataDir: string;
  let store: UsageStore;

  async function createOwner(): Promise<string> {
    const id = crypto.randomUUID();
    await insertAccount(db, id);
    return id;
  }

  beforeAll(async () => {
    dataDir = await newEmbeddedDataDir('tally-formats-');
    ({ db } = await openDatabase({ url: undefined, dataDir }));
    await migrateToLatest(db);
    store = createSqlUsageStore(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await fsp.rm(dataDir, { recursive: true, force: true });
  });

  it('has a sample and a direct computation for every format', () => {
    expect(new Set(SAMPLES.map((s) => s.format))).toEqual(new Set(USAGE_FORMAT_NAMES));
    for (const { file } of SAMPLES) expect(DIRECT[file], file).toBeDefined();
  });

  it.each(SAMPLES)('detects $file as $format from its first lines', ({ file, format, mapping, startLines = 2 }) => {
    const text = fs.readFileSync(path.join(docs, file), 'utf8');
    const options = mapping ? { mapping: JSON.parse(fs.readFileSync(path.join(docs, mapping), 'utf8')) as CsvMapping } : {};
    expect(detectUsageFormat(sampleUsageText(text, true), options).format.name).toBe(format);
    // Detection reads only the start: the first two lines (or first record) decide as well.
    const start = text.split('\n').slice(0, startLines).join('\n') + '\n';
    expect(detectUsageFormat(sampleUsageText(start, false), options).format.name).toBe(format);
  });

  it.each(SAMPLES)('stores $file with totals equal to a direct computation, and adds nothing the second time', async ({ file, format, mapping }) => {
    const owner = await createOwner();
    const ingester = createUsageIngester({ store, prices });
    const options = mapping ? { mapping: JSON.parse(fs.readFileSync(path.join(docs, mapping), 'utf8')) as CsvMapping } : {};
    let detected: string | undefined;
    const summary = await ingester.ingest(owner, fs.createReadStream(path.join(docs, file), { highWaterMark: 64 }), { ...options, onFormat: (f) => (detected = f) });
    const direct = DIRECT[file]!();
    expect(detected).toBe(format);
    expect(summary).toMatchObject({ inserted: direct.length, duplicates: 0, rejected: 0, errors: [], unpricedModels: [] });

    const rows = await store.aggregate(owner);
    const sum = (pick: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + pick(r), 0);
    const dsum = (pick: (d: Direct) => number) => direct.reduce((a, d) => a + pick(d), 0);
    expect({
      requests: sum((r) => r.requests),
      input: sum((r) => r.inputTokens),
      cacheRead: sum((r) => r.cacheReadTokens),
      cacheWrite: sum((r) => r.cacheWriteTokens),
      cacheWrite1h: sum((r) => r.cacheWrite1hTokens),
      output: sum((r) => r.outputTokens),
      reasoning: sum((r) => r.reasoningTokens),
      batch: sum((r) => (r.batch ? r.requests : 0)),
    }).toEqual({
      requests: direct.length,
      input: dsum((d) => d.input),
      cacheRead: dsum((d) => d.cacheRead),
      cacheWrite: dsum((d) => d.cacheWrite),
      cacheWrite1h: dsum((d) => d.cacheWrite1h ?? 0),
      output: dsum((d) => d.output),
      reasoning: dsum((d) => d.reasoning),
      batch: direct.filter((d) => d.batch).length,
    });
    const directCost = dsum(
      (d) =>
        prices.priceCall({ model: d.model, provider: d.provider ?? null, at: new Date(d.ts), inputTokens: d.input, cacheReadTokens: d.cacheRead, cacheWriteTokens: d.cacheWrite, cacheWrite1hTokens: d.cacheWrite1h ?? 0, outputTokens: d.output, batch: d.batch }) ?? Number.NaN,
    );
    expect(sum((r) => r.costUsd)).toBeCloseTo(directCost, 10);
    const overview = await store.overview(owner);
    expect([overview.from, overview.to]).toEqual([direct.map((d) => d.ts).sort()[0], direct.map((d) => d.ts).sort().at(-1)].map((t) => new Date(t!).toISOString()));

    const again = await ingester.ingest(owner, fs.createReadStream(path.join(docs, file)), options);
    expect(again).toMatchObject({ inserted: 0, duplicates: direct.length, rejected: 0 });
    expect((await store.overview(owner)).records).toBe(direct.length);
  });

  it('stores a span exported twice (an exporter retry) once, and a grown Claude Code log adds only its new calls', async () => {
    const owner = await createOwner();
    const ingester = createUsageIngester({ store, prices });
    const otel = fs.readFileSync(path.join(docs, 'otel.jsonl'), 'utf8');
    const firstLine = otel.split('\n')[0]!;
    expect(await ingester.ingest(owner, [`${otel}${firstLine}\n`])).toMatchObject({ lines: 3, inserted: 4, duplicates: 1 });

    const session = fs.readFileSync(path.join(docs, 'claude-code.jsonl'), 'utf8').trimEnd().split('\n');
    // Cut after the first response: its three lines are merged to the largest, then the rest comes later.
    expect(await ingester.ingest(owner, [session.slice(0, 5).join('\n')])).toMatchObject({ inserted: 1, duplicates: 0 });
    expect(await ingester.ingest(owner, [session.join('\n')])).toMatchObject({ inserted: 2, duplicates: 1 });
    const rows = await store.aggregate(owner);
    expect(rows.filter((r) => r.model === 'claude-opus-4-5').reduce((a, r) => a + r.outputTokens, 0)).toBe(159 + 420);
  });

  it('keeps the same provider id from two formats apart, and one format idempotent', async () => {
    const owner = await createOwner();
    const ingester = createUsageIngester({ store, prices });
    const tallyLine = JSON.stringify({ id: 'chatcmpl-x1', provider: 'openai', ts: '2025-12-29T09:20:00Z', model: 'gpt-4o-mini-2024-07-18', inputTokens: 180, cacheReadTokens: 1920, outputTokens: 90 });
    const openaiLine = fs.readFileSync(path.join(docs, 'openai.jsonl'), 'utf8').split('\n')[0]!;
    expect(await ingester.ingest(owner, [tallyLine])).toMatchObject({ inserted: 1 });
    expect(await ingester.ingest(owner, [openaiLine])).toMatchObject({ inserted: 1 });
    expect(await ingester.ingest(owner, [openaiLine])).toMatchObject({ inserted: 0, duplicates: 1 });
  });
});
