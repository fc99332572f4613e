/**
 * OTLP ingest (issue 18): GenAI spans exported as an OpenTelemetry SDK's batch span processor sends
 * them (binary protobuf ExportTraceServiceRequest, 512 spans a request, gzip off) to `tally serve` on
 * its embedded store, POST /v1/otlp/v1/traces, until every answer is in. Its baseline, in alternating
 * rounds on the same rows: the records those spans make, already mapped and priced, written by the
 * fastest plain insert into PGlite (bench/baselines/direct-batch-insert.ts, the analytics baseline).
 * The target: at least 0.8x the direct insert.
 *
 * Spans are made from generated usage (models, token counts, cache reads, users) and encoded before
 * the clock starts; the receiver decodes, maps, prices, dedupes and stores them. Everything created
 * is removed at the end.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { UsageRecord } from '@tally/protocol';
import { createGenaiPriceCatalog } from '../../packages/server/src/pricing/genai-price-catalog.js';
import { openDatabase, type Db } from '../../packages/server/src/store/database.js';
import { migrateToLatest } from '../../packages/server/src/store/migrate.js';
import { generateUsage } from '../../packages/server/src/usage/demo/generate-usage.js';
import { mapOtlpTraces } from '../../packages/server/src/usage/otlp/map-otlp-traces.js';
import { OTLP_TYPES } from '../../packages/server/src/usage/otlp/otlp-schema.js';
import { OTLP_KEY_PREFIX } from '../../packages/server/src/usage/otlp/store-otlp-records.js';
import { priceUsageRecord } from '../../packages/server/src/usage/price-usage-record.js';
import type { PricedUsageRecord } from '../../packages/server/src/usage/usage-store.js';
import { insertAccount } from '../../packages/server/test/support/test-accounts.js';
import { countSqlRows, directSqlInsert } from '../baselines/direct-batch-insert.js';
import { createBenchUsers } from '../lib/bench-users.js';
import { mapLimited } from '../lib/concurrency.js';
import { alternate, roundsOf, spreadOf, spreadText } from '../lib/round-stats.js';
import type { BenchContext, BenchProfile, Scenario, ScenarioResult } from '../lib/scenario.js';
import { startTally, type TallyProcess } from '../lib/tally-process.js';

/** Spans per export request: the SDK's BatchSpanProcessor default (maxExportBatchSize). */
const BATCH = 512;
/** Export requests in flight at once: a few exporters (services) sending to one node. */
const IN_FLIGHT = 2;
const BATCHES_PER_ROUND: Record<BenchProfile, number> = { quick: 40, full: 200 };
const END = new Date('2026-11-01T00:00:00Z');

export const otlpIngest: Scenario = { name: 'otlp-ingest', quick: true, run };

interface Round {
  /** The export requests, encoded. */
  requests: Uint8Array<ArrayBuffer>[];
  /** The records the receiver makes of them, priced: what the baseline writes. */
  priced: PricedUsageRecord[];
}

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number) => ({ key, value: { intValue: value } });

/** A GenAI client span for one generated call, as the GenAI instrumentations write it. */
function spanOf(record: UsageRecord, index: number) {
  const start = BigInt(Date.parse(record.ts)) * 1_000_000n;
  const attributes = [
    str('gen_ai.operation.name', 'chat'),
    str('gen_ai.provider.name', record.provider ?? 'openai'),
    str('gen_ai.request.model', record.model),
    str('gen_ai.response.id', `resp_${index}`),
    int('gen_ai.usage.input_tokens', record.inputTokens + record.cacheReadTokens + record.cacheWriteTokens),
    int('gen_ai.usage.output_tokens', record.outputTokens),
    ...(record.cacheReadTokens > 0 ? [int('gen_ai.usage.cache_read.input_tokens', record.cacheReadTokens)] : []),
    ...(record.cacheWriteTokens > 0 ? [int('gen_ai.usage.cache_creation.input_tokens', record.cacheWriteTokens)] : []),
    ...(record.user ? [str('user.id', record.user)] : []),
  ];
  return {
    traceId: crypto.randomBytes(16),
    spanId: crypto.randomBytes(8),
    name: `chat ${record.model}`,
    kind: 3,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + BigInt(Math.round((record.latencyMs ?? 800) * 1e6))),
    attributes,
  };
}

/** The rounds' requests and records; nothing here is timed. */
function makeRounds(rounds: number, batchesPerRound: number): Round[] {
  const { request } = OTLP_TYPES.traces;
  const prices = createGenaiPriceCatalog();
  const total = rounds * batchesPerRound * BATCH;
  const records = generateUsage({ seed: 18, days: 30, end: END, requestsPerDay: Math.ceil((total / 30) * 1.25) });
  const out: Round[] = [];
  let index = 0;
  for (let r = 0; r < rounds; r++) {
    const round: Round = { requests: [], priced: [] };
    for (let b = 0; b < batchesPerRound; b++) {
      const spans = [];
      for (let s = 0; s < BATCH; s++) {
        const next = records.next();
        if (next.done) throw new Error('generated usage ran out');
        spans.push(spanOf(next.value, index++));
      }
      const message = request.fromObject({ resourceSpans: [{ resource: { attributes: [str('service.name', 'bench-service')] }, scopeSpans: [{ scope: { name: 'genai' }, spans }] }] });
      const body = new Uint8Array(request.encode(message).finish());
      round.requests.push(body);
      // What the receiver will store for these spans, mapped by the same code.
      const decoded = request.toObject(request.decode(body), { longs: String, enums: Number, bytes: String });
      for (const item of mapOtlpTraces(decoded).items) {
        if (!('record' in item)) throw new Error(`a bench span did not map: ${item.error}`);
        const priced = priceUsageRecord(prices, item.record);
        round.priced.push({ ...priced, key: OTLP_KEY_PREFIX + priced.key });
      }
    }
    out.push(round);
  }
  return out;
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const roundCount = roundsOf(ctx.profile, 3, 3);
  const batchesPerRound = BATCHES_PER_ROUND[ctx.profile];
  const spansPerRound = batchesPerRound * BATCH;
  ctx.log(`otlp-ingest: ${roundCount} alternating rounds of ${spansPerRound.toLocaleString('en-US')} GenAI spans (${batchesPerRound} protobuf requests of ${BATCH}, ${IN_FLIGHT} in flight)`);
  const rounds = makeRounds(roundCount, batchesPerRound);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-bench-otlp-'));
  let node: TallyProcess | undefined;
  let db: Db | undefined;
  try {
    node = await startTally({ startTimeoutMs: 180_000 });
    const [exporter] = await createBenchUsers(node.url, 1);
    const url = `${node.url}/v1/otlp/v1/traces`;
    db = (await openDatabase({ url: undefined, dataDir })).db;
    await migrateToLatest(db);
    const baselineOwner = crypto.randomUUID();
    await insertAccount(db, baselineOwner);
    const sqlDb = db;

    const tallyRates: number[] = [];
    const baselineRates: number[] = [];
    let refused = 0;
    const tallySide = async (round: Round) => {
      const start = performance.now();
      await mapLimited(round.requests, IN_FLIGHT, async (body) => {
        const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${exporter!.accessToken}`, 'content-type': 'application/x-protobuf' }, body });
        const answer = Buffer.from(await response.arrayBuffer());
        if (!response.ok) throw new Error(`POST /v1/otlp/v1/traces answered ${response.status}`);
        if (answer.length > 0) refused += 1;
      });
      tallyRates.push(spansPerRound / ((performance.now() - start) / 1000));
    };
    const baselineSide = async (round: Round) => {
      const start = performance.now();
      await directSqlInsert(sqlDb, baselineOwner, round.priced);
      baselineRates.push(round.priced.length / ((performance.now() - start) / 1000));
    };
    for (const [i, round] of rounds.entries()) {
      for (const side of alternate(i + 1, tallySide, baselineSide)) await side(round);
      ctx.log(`  round ${i + 1}: Tally ${Math.round(tallyRates.at(-1)!).toLocaleString('en-US')} spans/s, direct insert ${Math.round(baselineRates.at(-1)!).toLocaleString('en-US')} rows/s`);
    }

    const total = roundCount * spansPerRound;
    const overview = await fetch(`${node.url}/v1/workspaces/${exporter!.userId}/usage/overview`, { headers: { authorization: `Bearer ${exporter!.accessToken}` } });
    const stored = ((await overview.json()) as { records?: number }).records ?? 0;
    const baselineStored = await countSqlRows(sqlDb, baselineOwner);
    if (baselineStored !== total) throw new Error(`the baseline holds ${baselineStored} rows, expected ${total}`);
    const tally = spreadOf(tallyRates);
    const baseline = spreadOf(baselineRates);
    return {
      scenario: 'otlp-ingest',
      figures: [
        {
          name: 'OTLP ingest over HTTP (protobuf, 512-span batches), embedded (PGlite)',
          unit: 'spans/s',
          tally: Math.round(tally.median),
          baseline: Math.round(baseline.median),
          baselineName: 'direct insert of the same rows (json_to_recordset, 5,000 a statement)',
          target: { minRatio: 0.8 },
          integrity: { lost: Math.max(0, total - stored), duplicated: Math.max(0, stored - total), reordered: 0 },
          note:
            `${roundCount} alternating rounds of ${spansPerRound.toLocaleString('en-US')} GenAI spans (${batchesPerRound} requests of ${BATCH}, ${IN_FLIGHT} in flight, access token, no gzip) to \`tally serve\` on a fresh embedded store in its own process; ` +
            `time until every answer is in; Tally ${spreadText(tally, 0)} spans/s, baseline ${spreadText(baseline, 0)} rows/s (the harness's own PGlite, same machine, no duplicate check, no rollups); ` +
            `stored ${stored.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}; answers with a partial success: ${refused}`,
          ...(refused > 0 ? { failures: [`${refused} request(s) answered with refused spans`] } : {}),
        },
      ],
    };
  } finally {
    await node?.close();
    await db?.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}
