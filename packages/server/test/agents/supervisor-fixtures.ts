import { UsageRecordSchema, type RunEventDraft, type UsageRecordInput } from '@tally/protocol';
import type { PriceCatalog } from '../../src/pricing/price-catalog.js';
import type { RunContext } from '../../src/runs/run-context.js';
import { priceUsageRecord } from '../../src/usage/price-usage-record.js';
import type { PricedUsageRecord, UsageStore } from '../../src/usage/usage-store.js';

/** A record priced the way ingestion prices it. */
export function priced(prices: PriceCatalog, input: UsageRecordInput): PricedUsageRecord {
  const record = UsageRecordSchema.parse(input);
  return priceUsageRecord(prices, record);
}

/**
 * Ten days (2025-03-01 to 03-10) of a small team's traffic, per day:
 * - support/reply on gpt-4o: 100 calls, 4,000 in / 1,000 out ($0.02 each), 1.2 s, a 2,000-token
 *   repeated prefix, limit 4,096; plus 5 errors billed for their input ($0.01 each);
 * - etl/summarize on gpt-4o: 20 nightly non-interactive calls, 10,000 in / 500 out ($0.03 each);
 * - search/rank on gpt-4o-mini: 50 calls, 1,000 in / 10 out.
 */
/**
 * The seeded team usage runs from its first call (2025-03-01 02:00) to its last (2025-03-10 15:04):
 * 9 days 13 h 4 min. Monthly figures scale by 30 x 24 h over those hours (analysis/projection.ts).
 */
export const TEAM_USAGE_HOURS = 9 * 24 + 13 + 4 / 60;
export const TEAM_MONTHLY_FACTOR = (30 * 24) / TEAM_USAGE_HOURS;
/** The seeded usage's spend in its period, and per 30 days as the answer writes it. */
export const TEAM_SPEND_USD = 26.578;
export const TEAM_MONTHLY_TEXT = `$${(TEAM_SPEND_USD * TEAM_MONTHLY_FACTOR).toFixed(2)}`;

export async function seedTeamUsage(store: UsageStore, prices: PriceCatalog, ownerId: string): Promise<number> {
  const records: PricedUsageRecord[] = [];
  for (let day = 1; day <= 10; day++) {
    const at = (hour: number, minute: number) => `2025-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00Z`;
    for (let i = 0; i < 100; i++) {
      records.push(
        priced(prices, {
          id: `reply-${day}-${i}`, ts: at(9 + Math.floor(i / 20), (i * 3) % 60), provider: 'openai', model: 'gpt-4o', project: 'support', feature: 'reply',
          inputTokens: 4000, outputTokens: 1000, latencyMs: 1200, promptPrefixHash: 'support-system', prefixTokens: 2000, maxOutputTokens: 4096,
        }),
      );
    }
    for (let i = 0; i < 5; i++) {
      records.push(
        priced(prices, {
          id: `reply-err-${day}-${i}`, ts: at(15, i), provider: 'openai', model: 'gpt-4o', project: 'support', feature: 'reply',
          inputTokens: 4000, outputTokens: 0, status: 'error', latencyMs: 300,
        }),
      );
    }
    for (let i = 0; i < 20; i++) {
      records.push(
        priced(prices, {
          id: `etl-${day}-${i}`, ts: at(2, i), provider: 'openai', model: 'gpt-4o', project: 'etl', feature: 'summarize',
          inputTokens: 10_000, outputTokens: 500, interactive: false, latencyMs: 8000,
        }),
      );
    }
    for (let i = 0; i < 50; i++) {
      records.push(
        priced(prices, {
          id: `rank-${day}-${i}`, ts: at(12, i), provider: 'openai', model: 'gpt-4o-mini', project: 'search', feature: 'rank',
          inputTokens: 1000, outputTokens: 10, latencyMs: 250,
        }),
      );
    }
  }
  await store.insert(ownerId, records);
  return records.length;
}

/** A RunContext whose emit collects the drafts; `onEmit` may act on them (e.g. stop the run). */
export function collectingContext(options: {
  text: string;
  userId?: string;
  controller?: AbortController;
  onEmit?: (event: RunEventDraft, events: RunEventDraft[]) => void;
  /** Step values of an earlier attempt, as a takeover would restore them (JSON). */
  restored?: Record<string, unknown>;
  /** The claim found no earlier question in the thread (default: it found some, so the history is read). */
  firstInThread?: boolean;
}): { ctx: RunContext; events: RunEventDraft[]; controller: AbortController; saved: Record<string, unknown> } {
  const controller = options.controller ?? new AbortController();
  const events: RunEventDraft[] = [];
  // Saved the way the worker saves them: through JSON.
  const saved: Record<string, unknown> = {};
  const userId = options.userId ?? 'user-1';
  const ctx: RunContext = {
    user: { id: userId, email: `${userId}@example.com` },
    // A personal workspace's id is its person's.
    workspaceId: userId,
    threadId: 'thread-1',
    runId: 'run-1',
    text: options.text,
    firstInThread: options.firstInThread ?? false,
    signal: controller.signal,
    async emit(event) {
      events.push(event);
      options.onEmit?.(event, events);
    },
    restoreStep: (agent) => options.restored?.[agent],
    async saveStep(agent, value) {
      saved[agent] = JSON.parse(JSON.stringify(value));
    },
  };
  return { ctx, events, controller, saved };
}

type Draft<T extends RunEventDraft['type']> = Extract<RunEventDraft, { type: T }>;

export function ofType<T extends RunEventDraft['type']>(events: RunEventDraft[], type: T): Array<Draft<T>['data']> {
  return events.filter((e): e is Draft<T> => e.type === type).map((e) => e.data as Draft<T>['data']);
}

/** The agents in the order they started, the supervisor included. */
export function agentsStarted(events: RunEventDraft[]): string[] {
  return ofType(events, 'agent_started').map((d) => d.agent);
}

export function streamed(events: RunEventDraft[]): string {
  return ofType(events, 'message_delta').map((d) => d.text).join('');
}
