import type { Reconciliation } from '@tally/protocol';
import { emptyBucket, type BillingBucket, type BillingProvider } from '../../src/connectors/billing-bucket.js';
import { upsertBuckets } from '../../src/connectors/billing-bucket-store.js';
import type { Db } from '../../src/store/database.js';
import { rest } from '../support/rest.js';

/**
 * A workspace's logs uploaded through the API (priced by the catalog) and a bill stored as a
 * connector stores it, with differences planted of known size:
 * - OpenAI, per model, 2026-11-01..03: gpt-4o 10 calls a day ($3.50 at $2.50/$10 per M), billed
 *   10 % less ($3.15); gpt-4o-mini 10 calls ($0.21), billed $0.189;
 * - an unpriced model (gpt-mystery-1, 5 calls on 2026-11-02) billed $1.11;
 * - a day with missing logs: 2026-11-04, gpt-4o billed $2.80, nothing logged;
 * - Anthropic, not by model: claude-sonnet-4 10 calls a day on 2026-11-01..02 ($4.50), billed the
 *   same, with a "Promotional credit" of -$5.00 on 2026-11-02.
 */
export const EXPECTED = {
  openai: { computedUsd: 11.13, billedUsd: 13.927, differenceUsd: 2.797, discount: -1.113, unpriced: 1.11, missing: 2.8 },
  anthropic: { computedUsd: 9, billedUsd: 4, differenceUsd: -5, credit: -5 },
};

export function plantedRecords(): string {
  const lines: object[] = [];
  const call = (day: string, i: number, model: string, provider: string, extra: object = {}) =>
    lines.push({ id: `${model}-${day}-${i}`, ts: `${day}T10:${String(i).padStart(2, '0')}:00Z`, provider, model, project: 'recon', inputTokens: 100_000, outputTokens: 10_000, ...extra });
  for (const day of ['2026-11-01', '2026-11-02', '2026-11-03']) {
    for (let i = 0; i < 10; i++) {
      call(day, i, 'gpt-4o', 'openai');
      call(day, i, 'gpt-4o-mini', 'openai');
    }
  }
  for (let i = 0; i < 5; i++) call('2026-11-02', i, 'gpt-mystery-1', 'openai');
  for (const day of ['2026-11-01', '2026-11-02']) for (let i = 0; i < 10; i++) call(day, i, 'claude-sonnet-4-20250514', 'anthropic');
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

function cost(day: string, model: string, lineItem: string, costUsd: number): BillingBucket {
  return { ...emptyBucket('cost', '1d', new Date(`${day}T00:00:00Z`)), model, lineItem, costUsd };
}

export function plantedBuckets(): Array<[BillingProvider, BillingBucket[]]> {
  const openai: BillingBucket[] = [];
  for (const day of ['2026-11-01', '2026-11-02', '2026-11-03']) {
    openai.push(cost(day, 'gpt-4o-2024-08-06', 'gpt-4o-2024-08-06, input', 3.15), cost(day, 'gpt-4o-mini-2024-07-18', 'gpt-4o-mini-2024-07-18, input', 0.189));
  }
  openai.push(cost('2026-11-02', 'gpt-mystery-1', 'gpt-mystery-1, input', 1.11), cost('2026-11-04', 'gpt-4o-2024-08-06', 'gpt-4o-2024-08-06, input', 2.8));
  openai.push({ ...emptyBucket('usage', '1d', new Date('2026-11-04T00:00:00Z')), model: 'gpt-4o-2024-08-06', requests: 8, inputTokens: 800_000, outputTokens: 80_000 });
  const anthropic = [cost('2026-11-01', '', 'Claude API usage', 4.5), cost('2026-11-02', '', 'Claude API usage', 4.5), cost('2026-11-02', '', 'Promotional credit', -5)];
  return [
    ['openai', openai],
    ['anthropic', anthropic],
  ];
}

/** Uploads the records to the workspace and stores the bill in its database. */
export async function plantWorkspace(baseUrl: string, token: string, db: Db, workspaceId: string): Promise<void> {
  const upload = await rest<{ inserted: number }>(baseUrl, 'POST', `/v1/workspaces/${workspaceId}/usage`, { token, body: plantedRecords() });
  if (upload.status !== 200 || upload.body.inserted !== 85) throw new Error(`upload: ${upload.status} ${JSON.stringify(upload.body)}`);
  for (const [provider, buckets] of plantedBuckets()) await upsertBuckets(db, workspaceId, provider, buckets);
}

export function providerOf(r: Reconciliation, provider: string) {
  const p = r.providers.find((x) => x.provider === provider);
  if (!p) throw new Error(`no ${provider} in ${JSON.stringify(r.providers)}`);
  return p;
}
