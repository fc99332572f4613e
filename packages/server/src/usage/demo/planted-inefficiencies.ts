import type { UsageRecord } from '@tally/protocol';
import type { PriceCatalog, PricedCall } from '../../pricing/price-catalog.js';
import { CACHE_TTL_MS } from '../usage-store.js';

export type PlantedId = 'cheaper-model' | 'uncached-prefix' | 'batchable' | 'retries' | 'oversized-output-limit';

/** One inefficiency the usage generator plants on purpose, and how its true size is computed. */
export interface PlantedInefficiency {
  id: PlantedId;
  project: string;
  feature: string;
  model: string;
  description: string;
  /** How measurePlantedInefficiencies computes `savingUsd` (and `detail`). */
  size: string;
}

/**
 * The cheaper model for the tagging feature: the one the tier table (analysis/model-tiers.ts)
 * chooses for gpt-4o traffic with short outputs. Of gpt-4o's alternatives, gpt-4.1 and
 * gpt-4.1-mini carry a low quality risk for 4-18-token answers (gpt-4o-mini, two tiers down,
 * a medium one), and of those two gpt-4.1-mini saves more.
 */
export const TAGGING_ALTERNATIVE_MODEL = 'gpt-4.1-mini';

export const PLANTED_INEFFICIENCIES: readonly PlantedInefficiency[] = [
  {
    id: 'cheaper-model',
    project: 'ops',
    feature: 'ticket-tagging',
    model: 'gpt-4o',
    description: 'Ticket tagging (800-3,000 tokens in, 4-18 out, a fixed label set) runs on gpt-4o; gpt-4.1-mini, one tier down, does this classification as well.',
    size: "spend on gpt-4o minus the same calls priced on gpt-4.1-mini, the tier table's least-risk choice (about 84% of the feature).",
  },
  {
    id: 'uncached-prefix',
    project: 'support',
    feature: 'chatbot',
    model: 'claude-sonnet-4-20250514',
    description: 'Every chatbot call sends the same 3,400-token system prompt and tool block (one promptPrefixHash) with no cache_control: cacheReadTokens is always 0.',
    size:
      'with the prefix cached (5-minute lifetime, refreshed by each hit), a call is a cache write when it is the first with the prefix or comes more than 5 minutes after the previous one, and a cache read otherwise: ' +
      'sum over reads of prefixTokens x (input price - cache-read price) minus sum over writes of prefixTokens x (cache-write price - input price), each call priced at its own time.',
  },
  {
    id: 'batchable',
    project: 'docs',
    feature: 'nightly-summaries',
    model: 'gpt-4o',
    description: 'Nightly document summaries (01:00-04:00 UTC, 6k-24k tokens in) are non-interactive but sent synchronously (interactive=false, batch=false).',
    size: 'half of the feature\'s spend: the batch API price is 50% of the synchronous one.',
  },
  {
    id: 'retries',
    project: 'search',
    feature: 'rag-answer',
    model: 'gpt-4.1',
    description: '12% of first attempts fail (70% of them 30 s timeouts, the rest errors) and are retried; 30% of second attempts fail again and a third attempt succeeds. Failed calls are billed for their input.',
    size: 'spend on the failed calls (status timeout or error) of the feature.',
  },
  {
    id: 'oversized-output-limit',
    project: 'dev',
    feature: 'code-assistant',
    model: 'claude-sonnet-4-20250514',
    description: 'The code assistant sets maxOutputTokens 16,384 on every call while its outputs stay between 120 and 1,200 tokens.',
    size: 'no direct spend (output is billed as produced, and no answer runs past twice the p99): saving 0; detail gives the limit, the p99 output of successful calls (interpolated) and the reserved-but-unused tokens, which count against rate limits.',
  },
];

export interface PlantedSize {
  id: PlantedId;
  /** Records of the affected feature. */
  records: number;
  /** What the feature (for `retries`: its failed calls) cost, USD. */
  spendUsd: number;
  /** What fixing it saves, USD, over the records given. */
  savingUsd: number;
  detail: Record<string, number>;
}

/** The true size of each planted inefficiency in these records, priced by the catalog. */
export function measurePlantedInefficiencies(records: Iterable<UsageRecord>, prices: PriceCatalog): PlantedSize[] {
  const byId = new Map<PlantedId, UsageRecord[]>(PLANTED_INEFFICIENCIES.map((p) => [p.id, []]));
  for (const r of records) {
    const planted = PLANTED_INEFFICIENCIES.find((p) => p.project === r.project && p.feature === r.feature);
    if (planted) byId.get(planted.id)?.push(r);
  }
  const cost = (r: UsageRecord, change: Partial<PricedCall> = {}) => prices.priceCall({ ...callOf(r), ...change }) ?? 0;
  const total = (rs: UsageRecord[], price: (r: UsageRecord) => number) => rs.reduce((sum, r) => sum + price(r), 0);

  return PLANTED_INEFFICIENCIES.map(({ id }): PlantedSize => {
    const rs = byId.get(id) ?? [];
    const spend = total(rs, (r) => cost(r));
    switch (id) {
      case 'cheaper-model': {
        const alternative = total(rs, (r) => cost(r, { model: TAGGING_ALTERNATIVE_MODEL }));
        return { id, records: rs.length, spendUsd: spend, savingUsd: spend - alternative, detail: { alternativeSpendUsd: alternative } };
      }
      case 'uncached-prefix': {
        const coldAt = coldStartsOf(rs);
        let saving = 0;
        let cacheWrites = 0;
        for (const r of rs) {
          const p = prices.modelPrices(r.model, r.provider ?? null, new Date(r.ts));
          if (!p) continue;
          const read = p.cacheReadPerMTok ?? p.inputPerMTok;
          const write = p.cacheWritePerMTok ?? p.inputPerMTok;
          const tokens = r.prefixTokens ?? 0;
          if (coldAt.has(r)) {
            cacheWrites += 1;
            saving -= (tokens * (write - p.inputPerMTok)) / 1e6;
          } else {
            saving += (tokens * (p.inputPerMTok - read)) / 1e6;
          }
        }
        const prefixTokens = rs.reduce((sum, r) => sum + (r.prefixTokens ?? 0), 0);
        return { id, records: rs.length, spendUsd: spend, savingUsd: saving, detail: { prefixTokens, cacheWrites, cacheReads: rs.length - cacheWrites } };
      }
      case 'batchable': {
        const asBatch = total(rs, (r) => cost(r, { batch: true }));
        return { id, records: rs.length, spendUsd: spend, savingUsd: spend - asBatch, detail: { batchSpendUsd: asBatch } };
      }
      case 'retries': {
        const failed = rs.filter((r) => r.status !== 'ok');
        const wasted = total(failed, (r) => cost(r));
        const detail = { failedCalls: failed.length, retries: rs.filter((r) => r.attempt > 1).length, featureSpendUsd: spend };
        return { id, records: rs.length, spendUsd: wasted, savingUsd: wasted, detail };
      }
      case 'oversized-output-limit': {
        const outputs = rs.filter((r) => r.status === 'ok').map((r) => r.outputTokens).sort((a, b) => a - b);
        // Interpolated like PostgreSQL's percentile_cont, as the usage stores compute it.
        const position = 0.99 * Math.max(0, outputs.length - 1);
        const low = outputs[Math.floor(position)] ?? 0;
        const p99 = low + ((outputs[Math.ceil(position)] ?? low) - low) * (position - Math.floor(position));
        const limit = Math.max(0, ...rs.map((r) => r.maxOutputTokens ?? 0));
        const reservedUnusedTokens = rs.reduce((sum, r) => sum + Math.max(0, (r.maxOutputTokens ?? 0) - r.outputTokens), 0);
        return { id, records: rs.length, spendUsd: spend, savingUsd: 0, detail: { maxOutputTokens: limit, p99OutputTokens: p99, reservedUnusedTokens } };
      }
      default: {
        const unreachable: never = id;
        throw new Error(`unknown planted inefficiency ${String(unreachable)}`);
      }
    }
  });
}

/** The calls that find the cache cold: per prefix, the first and each one over CACHE_TTL_MS after the previous. */
function coldStartsOf(records: readonly UsageRecord[]): Set<UsageRecord> {
  const cold = new Set<UsageRecord>();
  const last = new Map<string, number>();
  const inOrder = [...records].filter((r) => r.promptPrefixHash !== undefined).sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
  for (const r of inOrder) {
    const key = `${r.model}\u0000${r.provider ?? ''}\u0000${r.promptPrefixHash}`;
    const at = Date.parse(r.ts);
    const previous = last.get(key);
    if (previous === undefined || at - previous > CACHE_TTL_MS) cold.add(r);
    last.set(key, at);
  }
  return cold;
}

function callOf(r: UsageRecord): PricedCall {
  return {
    model: r.model,
    provider: r.provider ?? null,
    at: new Date(r.ts),
    inputTokens: r.inputTokens,
    cacheReadTokens: r.cacheReadTokens,
    cacheWriteTokens: r.cacheWriteTokens,
    outputTokens: r.outputTokens,
    batch: r.batch,
  };
}
