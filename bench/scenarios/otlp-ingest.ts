/**
 * OTLP ingest (issue 18): GenAI spans exported as an OpenTelemetry SDK's batch span processor sends
 * them (binary protobuf ExportTraceServiceRequest, 512 spans a request, gzip off) to `tally serve` on
 * its embedded store, POST /v1/otlp/v1/traces, until every answer is in. Its baseline, in alternating
 * rounds on the same rows: the records those spans make, already mapped and priced, written by the
 * fastest plain insert into PGlite (bench/baselines/direct-batch-insert.ts, the analytics baseline).
 * The issue's targets: at least 0.8x the direct insert embedded; on ClickHouse (TALLY_BENCH_CLICKHOUSE_URL,
 * else the tests' find-or-start of a throw-away clickhouse-server) at least 50,000 spans/s and 0.5x a
 * direct JSONEachRow insert of the same rows.
 *
 * Beside them, in the same rounds, the product's write alone (productWriteAlone): the same rows through
 * the product's own store, no HTTP or decoding, which says how much of a miss is the write's.
 *
 * Spans are made from generated usage (models, token counts, cache reads, users) and encoded before
 * the clock starts; the receiver decodes, maps, prices, dedupes and stores them. Everything created
 * is removed at the end.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@clickhouse/client';
import type { UsageRecord } from '@tally/protocol';
import { createGenaiPriceCatalog } from '../../packages/server/src/pricing/genai-price-catalog.js';
import { openDatabase, type Db } from '../../packages/server/src/store/database.js';
import { migrateToLatest } from '../../packages/server/src/store/migrate.js';
import { generateUsage } from '../../packages/server/src/usage/demo/generate-usage.js';
import { mapOtlpTraces } from '../../packages/server/src/usage/otlp/map-otlp-traces.js';
import { OTLP_TYPES } from '../../packages/server/src/usage/otlp/otlp-schema.js';
import { OTLP_KEY_PREFIX } from '../../packages/server/src/usage/otlp/prepare-otlp-records.js';
import { priceUsageRecord } from '../../packages/server/src/usage/price-usage-record.js';
import { createClickHouseUsageStore } from '../../packages/server/src/usage/clickhouse/clickhouse-usage-store.js';
import { createSqlUsageStore } from '../../packages/server/src/usage/sql/sql-usage-store.js';
import { sliceUsageRows, toUsageRows, usageRowCount } from '../../packages/server/src/usage/usage-rows.js';
import type { PricedUsageRecord, UsageStore } from '../../packages/server/src/usage/usage-store.js';
import { resolveClickHouse } from '../../packages/server/test/support/clickhouse.js';
import { insertAccount } from '../../packages/server/test/support/test-accounts.js';
import { countSqlRows, directClickHouseInsert, directSqlInsert } from '../baselines/direct-batch-insert.js';
import { createBenchUsers } from '../lib/bench-users.js';
import { mapLimited } from '../lib/concurrency.js';
import { alternate, roundsOf, spreadOf, spreadText } from '../lib/round-stats.js';
import type { BenchContext, BenchProfile, Figure, Scenario, ScenarioResult } from '../lib/scenario.js';
import { pidOf, readCpuMs } from '../lib/process-stats.js';
import { startTally, type TallyProcess } from '../lib/tally-process.js';

/** Spans per export request: the SDK's BatchSpanProcessor default (maxExportBatchSize). */
export const BATCH = 512;
/**
 * Export requests in flight at once. An SDK's batch processor sends one export at a time, so this is
 * the number of exporters (services, Collector queues) sending to one node: 2 (a couple of services,
 * the figure measured since the receiver was built) and 8 (a busier workspace, where the node's
 * per-workspace write batcher can merge requests into larger inserts). ClickHouse, the store for
 * high rates, is measured at 8 and 16 (the node's in-flight gate).
 */
const EMBEDDED_IN_FLIGHT = [2, 8] as const;
const CLICKHOUSE_IN_FLIGHT = [8, 16] as const;
const BATCHES_PER_ROUND: Record<BenchProfile, number> = { quick: 40, full: 200 };
const END = new Date('2026-11-01T00:00:00Z');

export const otlpIngest: Scenario = { name: 'otlp-ingest', quick: true, run };

export interface Round {
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

/** The rounds' requests and records (`priced: false`: the requests only, for load); nothing here is timed. */
export function makeRounds(rounds: number, batchesPerRound: number, options: { priced?: boolean } = {}): Round[] {
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
      if (options.priced === false) continue;
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

/** An exporter side: its requests sent with `inFlight` at once to `url`; spans/s, and what it saw. */
async function exportRound(url: string, token: string, requests: readonly Uint8Array<ArrayBuffer>[], inFlight: number, seen: { partial: number; refused: number }): Promise<number> {
  const start = performance.now();
  await mapLimited(requests, inFlight, async (body) => {
    const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-protobuf' }, body });
    const answer = Buffer.from(await response.arrayBuffer());
    if (response.status === 429 || response.status === 503) {
      seen.refused += 1;
      return;
    }
    if (!response.ok) throw new Error(`POST /v1/otlp/v1/traces answered ${response.status}`);
    if (answer.length > 0) seen.partial += 1;
  });
  return (requests.length * BATCH) / ((performance.now() - start) / 1000);
}

interface Measured {
  /** Per in-flight level, spans/s per round. */
  tally: Map<number, number[]>;
  baseline: number[];
  /** Per level, CPU µs a span per round: the node (every thread) plus the store's server when it has one. */
  tallyCpu: Map<number, number[]>;
  /** Per level, the store server's part of tallyCpu (0 for the embedded store). */
  tallyServerCpu: Map<number, number[]>;
  /** CPU µs a row per round of the baseline: the inserting client (this process) plus the store's server. */
  baselineCpu: number[];
  /** Rows/s per round of the product's write alone (productWriteAlone), and its CPU µs a row as the baseline's. */
  writeAlone: number[];
  writeAloneCpu: number[];
  seen: { partial: number; refused: number };
}

/** The processes whose CPU a side spends: Tally's node, and the store's server (ClickHouse) when it runs apart. */
interface CpuSources {
  nodePid: number;
  serverPid: number | undefined;
}

/** CPU ms so far: the node's, the store server's, this process's. */
async function cpuNow(sources: CpuSources): Promise<{ node: number; server: number; harness: number }> {
  const usage = process.cpuUsage();
  return {
    node: await readCpuMs(sources.nodePid),
    server: sources.serverPid === undefined ? 0 : await readCpuMs(sources.serverPid),
    harness: (usage.user + usage.system) / 1000,
  };
}

/**
 * Alternating rounds: each round runs every Tally level (each on spans of its own: the same spans
 * twice would be duplicates, cheaper) and the baseline, the order rotating round by round.
 */
async function measure(
  ctx: BenchContext,
  label: string,
  url: string,
  token: string,
  levels: readonly number[],
  rounds: readonly Round[][],
  cpu: CpuSources,
  baseline: (round: Round) => Promise<number>,
  writeAlone: (round: Round) => Promise<number>,
): Promise<Measured> {
  const measured: Measured = {
    tally: new Map(levels.map((l) => [l, []])),
    baseline: [],
    tallyCpu: new Map(levels.map((l) => [l, []])),
    tallyServerCpu: new Map(levels.map((l) => [l, []])),
    baselineCpu: [],
    writeAlone: [],
    writeAloneCpu: [],
    seen: { partial: 0, refused: 0 },
  };
  // In this process, like the baseline: what it costs is this process's CPU plus the store's server.
  const inProcess = async (write: (round: Round) => Promise<number>, round: Round, rates: number[], costs: number[]) => {
    const before = await cpuNow(cpu);
    rates.push(await write(round));
    const after = await cpuNow(cpu);
    // The node is idle meanwhile: the write's cost is this process (the client) and the store's server.
    costs.push(((after.harness - before.harness + after.server - before.server) * 1000) / round.priced.length);
  };
  for (const [i, sets] of rounds.entries()) {
    const sides: Array<() => Promise<void>> = [
      ...levels.map((level, j) => async () => {
        const before = await cpuNow(cpu);
        measured.tally.get(level)!.push(await exportRound(url, token, sets[j]!.requests, level, measured.seen));
        const after = await cpuNow(cpu);
        // The exporter is this process: its CPU is the load's, not Tally's.
        const spans = sets[j]!.requests.length * BATCH;
        measured.tallyCpu.get(level)!.push(((after.node - before.node + after.server - before.server) * 1000) / spans);
        measured.tallyServerCpu.get(level)!.push(((after.server - before.server) * 1000) / spans);
      }),
      () => inProcess(baseline, sets[0]!, measured.baseline, measured.baselineCpu),
      () => inProcess(writeAlone, sets[0]!, measured.writeAlone, measured.writeAloneCpu),
    ];
    for (let k = 0; k < sides.length; k++) await sides[(k + i) % sides.length]!();
    const cpuText = (l: number) => {
      const all = measured.tallyCpu.get(l)!.at(-1)!;
      const server = measured.tallyServerCpu.get(l)!.at(-1)!;
      return cpu.serverPid === undefined ? `${all.toFixed(1)} µs CPU a span` : `${all.toFixed(1)} µs CPU a span, ${server.toFixed(1)} of it the server's`;
    };
    const rates = levels.map((l) => `${l} in flight ${Math.round(measured.tally.get(l)!.at(-1)!).toLocaleString('en-US')} (${cpuText(l)})`).join(', ');
    const inProcessText = (rate: number[], cost: number[]) => `${Math.round(rate.at(-1)!).toLocaleString('en-US')} rows/s (${cost.at(-1)!.toFixed(1)} µs CPU a row)`;
    ctx.log(
      `  ${label} round ${i + 1}: Tally ${rates} spans/s; direct insert ${inProcessText(measured.baseline, measured.baselineCpu)}; ` +
        `the product's write alone ${inProcessText(measured.writeAlone, measured.writeAloneCpu)}`,
    );
  }
  return measured;
}

/**
 * Records the workspace's overview counts once they stop changing (at most 15 s): on ClickHouse the
 * overview reads the rollups, which the node brings up to date once a second after the answers.
 */
async function storedOf(node: TallyProcess, user: { userId: string; accessToken: string }, expected: number): Promise<number> {
  const read = async () => {
    const overview = await fetch(`${node.url}/v1/workspaces/${user.userId}/usage/overview`, { headers: { authorization: `Bearer ${user.accessToken}` } });
    return ((await overview.json()) as { records?: number }).records ?? 0;
  };
  const until = performance.now() + 15_000;
  let stored = await read();
  while (stored < expected && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    stored = await read();
  }
  return stored;
}

function figuresOf(
  measured: Measured,
  store: string,
  levels: readonly number[],
  spansPerRound: number,
  roundCount: number,
  stored: number,
  target: (level: number) => Figure['target'],
  baselineName: string,
  where: string,
  cpuWhat: string,
  baselineCpuWhat: string,
  writeAloneWhat: string,
): Figure[] {
  const total = roundCount * spansPerRound * levels.length;
  const baseline = spreadOf(measured.baseline);
  const failures = [
    ...(measured.seen.refused > 0 ? [`${measured.seen.refused} request(s) refused with 429/503 (not retried here)`] : []),
    ...(measured.seen.partial > 0 ? [`${measured.seen.partial} request(s) answered with refused spans`] : []),
  ];
  const perLevel = levels.flatMap((level): Figure[] => {
    const tally = spreadOf(measured.tally.get(level)!);
    const tallyCpu = spreadOf(measured.tallyCpu.get(level)!);
    const serverCpu = spreadOf(measured.tallyServerCpu.get(level)!);
    const baselineCpu = spreadOf(measured.baselineCpu);
    return [{
      name: `OTLP ingest over HTTP (protobuf, 512-span batches, ${level} in flight), ${store}`,
      unit: 'spans/s',
      tally: Math.round(tally.median),
      baseline: Math.round(baseline.median),
      baselineName,
      target: target(level),
      integrity: { lost: Math.max(0, total - stored), duplicated: Math.max(0, stored - total), reordered: 0 },
      note:
        `${roundCount} alternating rounds of ${spansPerRound.toLocaleString('en-US')} GenAI spans a level (${spansPerRound / BATCH} requests of ${BATCH}, access token, no gzip) to \`tally serve\` ${where}; ` +
        `time until every answer is in; Tally ${spreadText(tally, 0)} spans/s, baseline ${spreadText(baseline, 0)} rows/s; stored ${stored.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} (all levels)`,
      ...(failures.length > 0 ? { failures } : {}),
    },
    {
      // No target: what a span costs on this machine's two cores, which the throughput shares with the exporter.
      name: `OTLP ingest CPU per span (${level} in flight), ${store}: ${cpuWhat}`,
      unit: 'µs',
      tally: Number(tallyCpu.median.toFixed(1)),
      baseline: Number(baselineCpu.median.toFixed(1)),
      baselineName: `the direct insert's CPU per row: ${baselineCpuWhat}`,
      note:
        `CPU time from /proc over each round; Tally ${spreadText(tallyCpu, 1)} µs a span` +
        (serverCpu.median > 0 ? ` (the store server's part ${spreadText(serverCpu, 1)})` : '') +
        `, baseline ${spreadText(baselineCpu, 1)} µs a row`,
    }];
  });
  const alone = spreadOf(measured.writeAlone);
  const aloneCpu = spreadOf(measured.writeAloneCpu);
  // No target: the most the ingest could reach if HTTP, decoding, mapping and pricing cost nothing,
  // so a miss of the ingest's target can be told apart into the write's part and the rest's.
  return [
    ...perLevel,
    {
      name: `the product's write alone (its insert with the duplicate check and the rollups, no HTTP or decoding), ${store}`,
      unit: 'rows/s',
      tally: Math.round(alone.median),
      baseline: Math.round(baseline.median),
      baselineName,
      note:
        `the same rows as the baseline's, already priced and serialised in the store's row form (before the clock, as the node's reader thread does it beside the store), stored through the product's own store (${writeAloneWhat}), ` +
        `in this process, in the same alternating rounds; ${spreadText(alone, 0)} rows/s; CPU ${spreadText(aloneCpu, 1)} µs a row (${baselineCpuWhat})`,
    },
  ];
}

/**
 * The product's own write of a round's priced rows, timed: stored in the store's own batch size
 * through its ingest session when it has one (its rollups brought up to date at the end, as the
 * write batcher does), else its insertRows. The rows are serialised in the store's row form before
 * the clock starts, as the node's reader thread serialises them beside the store's work. Rows/s.
 */
function productWriteAlone(store: UsageStore, owner: string): (round: Round) => Promise<number> {
  return async (round) => {
    const rows = toUsageRows(store.rowForm, owner, round.priced);
    const start = performance.now();
    const batch = store.insertBatchSize ?? 5000;
    const session = store.openIngest?.(owner);
    let inserted = 0;
    for (let from = 0; from < usageRowCount(rows); from += batch) {
      const slice = sliceUsageRows(rows, from, from + batch);
      inserted += (session ? await session.insertRows(slice) : await store.insertRows(owner, slice)).inserted;
    }
    await session?.finish();
    const seconds = (performance.now() - start) / 1000;
    if (inserted !== round.priced.length) throw new Error(`the product's write stored ${inserted} of ${round.priced.length} rows`);
    return round.priced.length / seconds;
  };
}

async function runEmbedded(ctx: BenchContext, roundCount: number, batchesPerRound: number): Promise<Figure[]> {
  const levels = EMBEDDED_IN_FLIGHT;
  const all = makeRounds(roundCount * levels.length, batchesPerRound);
  const rounds = Array.from({ length: roundCount }, (_, i) => all.slice(i * levels.length, (i + 1) * levels.length));
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tally-bench-otlp-'));
  let node: TallyProcess | undefined;
  let db: Db | undefined;
  try {
    node = await startTally({ startTimeoutMs: 180_000 });
    const [exporter] = await createBenchUsers(node.url, 1);
    db = (await openDatabase({ url: undefined, dataDir })).db;
    await migrateToLatest(db);
    const baselineOwner = crypto.randomUUID();
    await insertAccount(db, baselineOwner);
    const writeAloneOwner = crypto.randomUUID();
    await insertAccount(db, writeAloneOwner);
    const sqlDb = db;
    const measured = await measure(
      ctx,
      'embedded',
      `${node.url}/v1/otlp/v1/traces`,
      exporter!.accessToken,
      levels,
      rounds,
      { nodePid: node.pid, serverPid: undefined },
      async (round) => {
        const start = performance.now();
        await directSqlInsert(sqlDb, baselineOwner, round.priced);
        return round.priced.length / ((performance.now() - start) / 1000);
      },
      productWriteAlone(createSqlUsageStore(sqlDb), writeAloneOwner),
    );
    const baselineStored = await countSqlRows(sqlDb, baselineOwner);
    if (baselineStored !== roundCount * batchesPerRound * BATCH) throw new Error(`the baseline holds ${baselineStored} rows`);
    return figuresOf(
      measured,
      'embedded (PGlite)',
      levels,
      batchesPerRound * BATCH,
      roundCount,
      await storedOf(node, exporter!, roundCount * batchesPerRound * BATCH * levels.length),
      () => ({ minRatio: 0.8 }),
      'direct insert of the same rows (json_to_recordset, 5,000 a statement)',
      "on a fresh embedded store in its own process (the harness's own PGlite for the baseline: no duplicate check, no rollups)",
      'the node, every thread',
      "the harness's process (its PGlite)",
      'the SQL store on the same PGlite: 5,000 rows a statement, the fewest statements it makes',
    );
  } finally {
    await node?.close();
    await db?.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

async function runClickHouse(ctx: BenchContext, roundCount: number, batchesPerRound: number): Promise<Figure[]> {
  const levels = CLICKHOUSE_IN_FLIGHT;
  const configured = process.env['TALLY_BENCH_CLICKHOUSE_URL'];
  const service = configured ? { url: configured, missing: null, stop: async () => {} } : await resolveClickHouse();
  if (!service.url) throw new Error(`otlp-ingest on ClickHouse needs ClickHouse: ${service.missing}`);
  const database = `tally_bench_otlp_${crypto.randomBytes(4).toString('hex')}`;
  const raw = createClient({ url: service.url, request_timeout: 300_000 });
  const all = makeRounds(roundCount * levels.length, batchesPerRound);
  const rounds = Array.from({ length: roundCount }, (_, i) => all.slice(i * levels.length, (i + 1) * levels.length));
  let node: TallyProcess | undefined;
  let writeStore: Awaited<ReturnType<typeof createClickHouseUsageStore>> | undefined;
  try {
    node = await startTally({ startTimeoutMs: 180_000, env: { TALLY_CLICKHOUSE_URL: `${service.url.replace(/\/$/, '')}/${database}` } });
    const [exporter] = await createBenchUsers(node.url, 1);
    const baselineOwner = crypto.randomUUID();
    const serverPid = await pidOf('clickhouse-server');
    writeStore = await createClickHouseUsageStore({ url: service.url, database });
    const measured = await measure(
      ctx,
      'ClickHouse',
      `${node.url}/v1/otlp/v1/traces`,
      exporter!.accessToken,
      levels,
      rounds,
      { nodePid: node.pid, serverPid },
      async (round) => {
        const start = performance.now();
        await directClickHouseInsert(raw, database, baselineOwner, round.priced);
        return round.priced.length / ((performance.now() - start) / 1000);
      },
      productWriteAlone(writeStore, crypto.randomUUID()),
    );
    return figuresOf(
      measured,
      'ClickHouse',
      levels,
      batchesPerRound * BATCH,
      roundCount,
      await storedOf(node, exporter!, roundCount * batchesPerRound * BATCH * levels.length),
      () => ({ min: 50_000, minRatio: 0.5 }),
      'direct insert of the same rows (one JSONEachRow insert a round)',
      `with its usage in ClickHouse (${service.url}, a fresh database; the baseline writes the same table, no duplicate check, no rollups)`,
      serverPid === undefined ? 'the node, every thread (clickhouse-server runs elsewhere: not counted)' : 'the node, every thread, plus clickhouse-server',
      serverPid === undefined ? 'the inserting client (clickhouse-server not counted)' : 'the inserting client plus clickhouse-server',
      'the ClickHouse store on the same database: one ingest session a round, 10,000 rows a call, its rollups at the end',
    );
  } finally {
    await node?.close();
    await writeStore?.close();
    await raw.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
    await raw.close();
    await service.stop();
  }
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const roundCount = roundsOf(ctx.profile, 3, 3);
  const batchesPerRound = BATCHES_PER_ROUND[ctx.profile];
  ctx.log(`otlp-ingest: ${roundCount} alternating rounds of ${(batchesPerRound * BATCH).toLocaleString('en-US')} GenAI spans a side (${batchesPerRound} protobuf requests of ${BATCH})`);
  const embedded = await runEmbedded(ctx, roundCount, batchesPerRound);
  const clickhouse = process.env['BENCH_OTLP_SKIP_CLICKHOUSE'] ? [] : await runClickHouse(ctx, roundCount, batchesPerRound);
  return { scenario: 'otlp-ingest', figures: [...embedded, ...clickhouse] };
}
