import type { LlmConfig } from '../config/config.js';
import type { LanguageModelClient } from './language-model-client.js';
import { createOpenAiCompatibleClient } from './openai-compatible-client.js';

/** The LLM the configuration names, or null for offline mode (rule-based triage, template answers). */
export function createLlm(config: LlmConfig): LanguageModelClient | null {
  switch (config.kind) {
    case 'offline':
      return null;
    case 'openai-compatible':
      return createOpenAiCompatibleClient({
        baseUrl: config.baseUrl,
        apiKey: config.apiKey,
        model: config.model,
        timeoutMs: config.timeoutMs,
      });
    default: {
      const never: never = config;
      throw new Error(`unknown LLM kind ${JSON.stringify(never)}`);
    }
  }
}
