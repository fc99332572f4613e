import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { UsageRecordSchema } from '@tally/protocol';
import type { LlmCall, LlmCallRecorder } from '../llm/language-model-client.js';
import type { PriceCatalog } from '../pricing/price-catalog.js';
import { SYSTEM_USER_ID } from '../store/system-user.js';
import { priceUsageRecord } from './price-usage-record.js';
import type { UsageStore } from './usage-store.js';

/** The project Tally's own LLM calls are recorded under. */
export const OWN_USAGE_PROJECT = 'tally';

/**
 * Records every model call Tally's agents make as a usage record of the reserved system owner
 * (project `tally`, feature = the agent), priced by the same catalog as any team's usage, so an
 * admin sees what Tally itself costs with the same analysis. A failure to record is logged and
 * never fails the run.
 */
export function createOwnUsageRecorder(deps: { store: UsageStore; prices: PriceCatalog; logger: Logger }): LlmCallRecorder {
  return async (call: LlmCall) => {
    try {
      const record = UsageRecordSchema.parse(toUsageRecord(call));
      await deps.store.insert(SYSTEM_USER_ID, [priceUsageRecord(deps.prices, record)]);
    } catch (error) {
      deps.logger.warn({ err: error, model: call.model, feature: call.feature }, "recording Tally's own LLM usage failed");
    }
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
