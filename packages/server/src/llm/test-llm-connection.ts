import type { LlmConnectionTest } from '@tally/protocol';
import type { LlmConfig } from '../config/config.js';
import { createLlm } from './create-llm.js';
import { LlmError } from './language-model-client.js';

const MAX_MESSAGE = 300;

/**
 * One minimal real call (a few output tokens) to the configured LLM, for the admin's "test
 * connection": whether it answers, how fast, and if not, why, in the provider's words. Never
 * throws for a failed call; the answer says so.
 */
export async function testLlmConnection(config: LlmConfig, now: () => number = () => performance.now()): Promise<LlmConnectionTest> {
  const provider = config.kind;
  const client = createLlm(config);
  if (config.kind === 'offline' || !client) return { ok: false, provider, model: null, latencyMs: 0, failure: 'offline', message: 'No LLM is configured: Tally answers without one.', reply: null };
  const model = config.model;
  const started = now();
  // The configured timeout bounds the call as it bounds a run's calls.
  const signal = AbortSignal.timeout(config.timeoutMs);
  try {
    let reply = '';
    for await (const delta of client.streamText({ system: 'Answer with the single word OK.', prompt: 'Connection test.', maxOutputTokens: 5, signal, feature: 'connection-test' })) {
      reply += delta;
    }
    return { ok: true, provider, model, latencyMs: Math.round(now() - started), failure: null, message: null, reply: reply.trim().slice(0, 100) };
  } catch (error) {
    const latencyMs = Math.round(now() - started);
    if (error instanceof LlmError) return { ok: false, provider, model, latencyMs, failure: error.kind, message: error.message.slice(0, MAX_MESSAGE), reply: null };
    if (signal.aborted) return { ok: false, provider, model, latencyMs, failure: 'timeout', message: `No answer within ${config.timeoutMs} ms.`, reply: null };
    return { ok: false, provider, model, latencyMs, failure: 'network', message: (error instanceof Error ? error.message : String(error)).slice(0, MAX_MESSAGE), reply: null };
  }
}
