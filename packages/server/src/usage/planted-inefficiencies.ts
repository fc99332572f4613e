import type { UsageRecord } from '@tally/protocol';
import type { PriceCatalog, PricedCall } from '../pricing/price-catalog.js';

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

/** The cheaper model of comparable quality for the tagging feature. */
export const TAGGING_ALTERNATIVE_MODEL = 'gpt-4o-mini';

export const PLANTED_INEFFICIENCIES: readonly PlantedInefficiency[] = [
  {
    id: 'cheaper-model',
    project: 'ops',
    feature: 'ticket-tagging',
    model: 'gpt-4o',
    description: 'Ticket tagging (800-3,000 tokens in, 4-18 out, a fixed label set) runs on gpt-4o; gpt-4o-mini does this classification as well.',
    size: 'spend on gpt-4o minus the same tokens priced on gpt-4o-mini (about 94% of the feature).',
  },
  {
    id: 'uncached-prefix',
    project: 'support',
    feature: 'chatbot',
    model: 'claude-sonnet-4-20250514',
    description: 'Every chatbot call sends the same 3,400-token system prompt and tool block (one promptPrefixHash) with no cache_control: cacheReadTokens is always 0.',
    size: 'sum of prefixTokens x (input price - cache-read price): the saving if every call read the prefix from the cache (an upper bound; calls arrive about once a minute in office hours, so cache writes are rare).',
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
    size: 'no direct spend (output is billed as produced); detail gives the limit, the p99 output and the reserved-but-unused tokens, which count against rate limits.',
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
        const saving = total(rs, (r) => {
          const p = prices.modelPrices(r.model, r.provider ?? null, new Date(r.ts));
          return p ? ((r.prefixTokens ?? 0) * (p.inputPerMTok - (p.cacheReadPerMTok ?? p.inputPerMTok))) / 1e6 : 0;
        });
        const prefixTokens = rs.reduce((sum, r) => sum + (r.prefixTokens ?? 0), 0);
        return { id, records: rs.length, spendUsd: spend, savingUsd: saving, detail: { prefixTokens } };
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
        const outputs = rs.map((r) => r.outputTokens).sort((a, b) => a - b);
        const p99 = outputs[Math.min(outputs.length - 1, Math.floor(0.99 * outputs.length))] ?? 0;
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
