import type { LlmConfig } from '../config/config.js';
import { createAnthropicClient } from './anthropic-client.js';
import type { LanguageModelClient, LlmCallRecorder } from './language-model-client.js';
import { createOpenAiCompatibleClient } from './openai-compatible-client.js';

/**
 * The LLM the configuration names, or null for offline mode (rule-based triage, template answers).
 * `recordCall` gets every model call, for Tally's own usage.
 */
export function createLlm(config: LlmConfig, options: { recordCall?: LlmCallRecorder } = {}): LanguageModelClient | null {
  switch (config.kind) {
    case 'offline':
      return null;
    case 'openai-compatible':
      return createOpenAiCompatibleClient({ baseUrl: config.baseUrl, apiKey: config.apiKey, model: config.model, timeoutMs: config.timeoutMs, ...options });
    case 'anthropic':
      return createAnthropicClient({ baseUrl: config.baseUrl, apiKey: config.apiKey, model: config.model, timeoutMs: config.timeoutMs, ...options });
    default: {
      const never: never = config;
      throw new Error(`unknown LLM kind ${JSON.stringify(never)}`);
    }
  }
}
