import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { UsageRecordSchema } from '@tally/protocol';
import type { LlmCall, LlmCallRecorder } from '../../llm/language-model-client.js';
import type { PriceCatalog } from '../../pricing/price-catalog.js';
import { SYSTEM_USER_ID } from '../../store/system-user.js';
import { priceUsageRecord } from '../price-usage-record.js';
import type { PricedUsageRecord, UsageStore } from '../usage-store.js';

/** The project Tally's own LLM calls are recorded under. */
export const OWN_USAGE_PROJECT = 'tally';

export interface OwnUsageRecorder {
  /** Takes one model call; never throws and never waits for the store. */
  record: LlmCallRecorder;
  /** Writes what is buffered now; resolves when it is stored (or its failure logged). */
  flush(): Promise<void>;
  /** Writes what is buffered and stops the timer: before the usage store closes. */
  close(): Promise<void>;
}

/** Records wait at most this long for their write... */
export const OWN_USAGE_FLUSH_MS = 1_000;
/** ...or until this many are buffered. */
export const OWN_USAGE_MAX_BUFFERED = 500;

/**
 * Records every model call Tally's agents make as a usage record of the reserved system owner
 * (project `tally`, feature = the agent), priced by the same catalog as any team's usage, so an
 * admin sees what Tally itself costs with the same analysis. Records are written behind, in one
 * insert per second (or per 500 calls) for the whole node, not one per call inside the run that
 * made it: a run never waits for its own bookkeeping, and a busy node writes one statement where
 * it made hundreds of calls. A node that dies loses at most that second of its own usage (a
 * graceful stop writes it). A failure to record is logged and never fails a run.
 */
export function createOwnUsageRecorder(deps: {
  store: Pick<UsageStore, 'insert'>;
  prices: PriceCatalog;
  logger: Logger;
  flushMs?: number;
  maxBuffered?: number;
  /** Told of each call once it is priced (the metrics endpoint counts them). */
  onRecorded?: (call: LlmCall, costUsd: number | null) => void;
}): OwnUsageRecorder {
  const flushMs = deps.flushMs ?? OWN_USAGE_FLUSH_MS;
  const maxBuffered = deps.maxBuffered ?? OWN_USAGE_MAX_BUFFERED;
  let buffer: PricedUsageRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  // Writes go one after another, each taking the whole buffer.
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    writing = writing.then(async () => {
      if (buffer.length === 0) return;
      const batch = buffer;
      buffer = [];
      try {
        await deps.store.insert(SYSTEM_USER_ID, batch);
      } catch (error) {
        deps.logger.warn({ err: error, records: batch.length }, "recording Tally's own LLM usage failed");
      }
    });
    return writing;
  }

  return {
    async record(call: LlmCall) {
      try {
        const priced = priceUsageRecord(deps.prices, UsageRecordSchema.parse(toUsageRecord(call)));
        buffer.push(priced);
        deps.onRecorded?.(call, priced.costUsd);
      } catch (error) {
        deps.logger.warn({ err: error, model: call.model, feature: call.feature }, "recording Tally's own LLM usage failed");
        return;
      }
      if (buffer.length >= maxBuffered) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), flushMs);
        // Pending bookkeeping never keeps a process alive; close() writes it.
        timer.unref();
      }
    },
    flush,
    close: flush,
  };
}

export function toUsageRecord(call: LlmCall) {
  return {
    id: `tally-llm-${crypto.randomUUID()}`,
    ts: call.startedAt.toISOString(),
    // The OpenAI-compatible endpoint could be anyone's: the model id decides its price.
    ...(call.kind === 'anthropic' ? { provider: 'anthropic' } : {}),
    model: call.model,
    project: OWN_USAGE_PROJECT,
    feature: call.feature,
    inputTokens: call.inputTokens,
    outputTokens: call.outputTokens,
    cacheReadTokens: call.cacheReadTokens,
    cacheWriteTokens: call.cacheWriteTokens,
    ...(call.reasoningTokens > 0 ? { reasoningTokens: call.reasoningTokens } : {}),
    latencyMs: call.latencyMs,
    status: call.status,
    interactive: true,
    batch: false,
  };
}
