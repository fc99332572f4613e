import { createAnthropic } from '@ai-sdk/anthropic';
import { createAiSdkClient } from './ai-sdk-client.js';
import type { LanguageModelClient, LlmCallRecorder } from './language-model-client.js';

export interface AnthropicOptions {
  /** Base URL including the version path; the provider's default (`https://api.anthropic.com/v1`) when absent. */
  baseUrl: string | undefined;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
  /** Retries of retryable failures (429, 5xx, 529 overloaded, network); the AI SDK's default is 2. */
  maxRetries?: number;
  recordCall?: LlmCallRecorder;
}

/**
 * Anthropic's Messages API through `@ai-sdk/anthropic`: the same client as the OpenAI-compatible
 * one (ai-sdk-client.ts), so agents cannot tell them apart. Structured output uses the provider's
 * own choice (native structured outputs on models that have them, a forced `json` tool otherwise).
 */
export function createAnthropicClient(options: AnthropicOptions): LanguageModelClient {
  const provider = createAnthropic({
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
  return createAiSdkClient({
    kind: 'anthropic',
    model: provider.messages(options.model),
    modelId: options.model,
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries ?? 2,
    ...(options.recordCall ? { recordCall: options.recordCall } : {}),
  });
}
