import type { UsageRecord } from '@tally/protocol';
import { createSeededRandom, type SeededRandom } from './seeded-random.js';
import { ACME_FEATURES, CACHE_HIT_RATE, DEFAULT_REQUESTS_PER_DAY, HOURLY_WEIGHTS, type FeatureProfile } from './usage-scenario.js';

export interface GenerateUsageOptions {
  /** Whole UTC days of traffic, ending at the UTC midnight at or before `end`. */
  days?: number;
  /** Same seed, same records, field for field. */
  seed?: number;
  end: Date;
  /** Logical requests on an ordinary weekday across all features (weekends are quieter). */
  requestsPerDay?: number;
  /**
   * The clean dataset: every feature in its `clean` variant (usage-scenario.ts), with no planted
   * waste, on which no strategy should find a material saving.
   */
  clean?: boolean;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Room left at the end of a day for a request's retries, so no record spills past `end`. */
const RETRY_ROOM_MS = 5 * 60_000;

/**
 * Generates a realistic stretch of LLM traffic for the fictional company in usage-scenario.ts,
 * with the inefficiencies listed in PLANTED_INEFFICIENCIES planted at known sizes (or none, with
 * `clean`). Records come
 * day by day in time order, so a month (about 65,000 records by default) is never held at once.
 */
export function* generateUsage(options: GenerateUsageOptions): Generator<UsageRecord> {
  const { days = 30, seed = 42, end, requestsPerDay = DEFAULT_REQUESTS_PER_DAY, clean = false } = options;
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive integer, got ${days}`);
  if (Number.isNaN(end.getTime())) throw new RangeError('end must be a valid date');
  if (!(requestsPerDay > 0)) throw new RangeError(`requestsPerDay must be positive, got ${requestsPerDay}`);

  const features = clean ? ACME_FEATURES.map(cleanVariant) : ACME_FEATURES;
  const random = createSeededRandom(seed);
  const lastMidnight = Math.floor(end.getTime() / DAY_MS) * DAY_MS;
  for (let d = 0; d < days; d++) {
    const dayStart = lastMidnight - (days - d) * DAY_MS;
    const weekday = new Date(dayStart).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    const dayNoise = random.between(0.9, 1.1);
    const records: UsageRecord[] = [];
    for (const feature of features) {
      const expected = requestsPerDay * feature.share * (weekend ? feature.weekendFactor : 1) * dayNoise;
      // Rounding by chance keeps small volumes (tests ask for a few requests a day) unbiased.
      const count = Math.floor(expected) + (random.chance(expected % 1) ? 1 : 0);
      for (let i = 0; i < count; i++) records.push(...logicalRequest(feature, dayStart, random));
    }
    records.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    yield* records;
  }
}

function cleanVariant(feature: FeatureProfile): FeatureProfile {
  const { clean, planted: _planted, ...rest } = feature;
  return { ...rest, ...clean };
}

/** One request as the application sees it: a call, or a failed call followed by retries. */
function logicalRequest(f: FeatureProfile, dayStart: number, random: SeededRandom): UsageRecord[] {
  const hour = random.weighted(HOURLY_WEIGHTS[f.schedule]);
  let at = Math.min(dayStart + hour * HOUR_MS + random.int(0, HOUR_MS - 1), dayStart + DAY_MS - RETRY_ROOM_MS);
  const conversation = random.logInt(f.inputTokens[0], f.inputTokens[1]);
  const wanted = random.logInt(f.outputTokens[0], f.outputTokens[1]);
  const output = f.maxOutputTokens === undefined ? wanted : Math.min(wanted, f.maxOutputTokens);
  const user = f.users ? `${f.users.prefix}-${String(random.int(0, f.users.count - 1)).padStart(4, '0')}` : undefined;

  // A cached prefix is read from the cache on a hit and written to it on a miss; an uncached one
  // is plain input on every call.
  const prefix = f.prefix;
  const hit = prefix?.cached === true && random.chance(CACHE_HIT_RATE);
  const tokens = {
    inputTokens: conversation + (prefix && !prefix.cached ? prefix.tokens : 0),
    cacheReadTokens: prefix?.cached && hit ? prefix.tokens : 0,
    cacheWriteTokens: prefix?.cached && !hit ? prefix.tokens : 0,
  };

  const calls: UsageRecord[] = [];
  for (let attempt = 1; ; attempt++) {
    const failureRate = attempt === 1 ? f.failures?.rate : f.failures?.retryFailRate;
    // The third attempt always goes through: the failures stay a bounded, measurable waste.
    const fails = f.failures !== undefined && attempt < 3 && random.chance(failureRate ?? 0);
    const call = (outcome: Pick<UsageRecord, 'outputTokens' | 'latencyMs' | 'status'>): UsageRecord => ({
      id: `${f.idPrefix}${random.token(24)}`,
      ts: new Date(at).toISOString(),
      provider: f.provider,
      model: f.model,
      project: f.project,
      feature: f.feature,
      ...(user === undefined ? {} : { user }),
      inputTokens: tokens.inputTokens,
      outputTokens: outcome.outputTokens,
      cacheReadTokens: tokens.cacheReadTokens,
      cacheWrite1hTokens: 0,
      cacheWriteTokens: tokens.cacheWriteTokens,
      latencyMs: outcome.latencyMs,
      status: outcome.status,
      interactive: f.interactive,
      batch: f.batch,
      ...(f.maxOutputTokens === undefined ? {} : { maxOutputTokens: f.maxOutputTokens }),
      ...(prefix ? { promptPrefixHash: prefix.hash, prefixTokens: prefix.tokens } : {}),
      attempt,
    });
    if (!fails || !f.failures) {
      const latencyMs = Math.round(random.between(f.latency.baseMs[0], f.latency.baseMs[1]) + output * f.latency.perOutputTokenMs);
      calls.push(call({ outputTokens: output, latencyMs, status: 'ok' }));
      return calls;
    }
    // A failed call is billed for its input: the model read the prompt before the client gave up
    // (timeout) or the stream broke (error). Nothing useful came out.
    const timedOut = random.chance(f.failures.timeoutShare);
    const latencyMs = timedOut ? f.failures.timeoutMs : random.int(300, 1500);
    calls.push(call({ outputTokens: 0, latencyMs, status: timedOut ? 'timeout' : 'error' }));
    at += latencyMs + 1000 * 2 ** attempt + random.int(0, 999);
  }
}
