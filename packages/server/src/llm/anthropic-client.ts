import { createAnthropic } from '@ai-sdk/anthropic';
import { createAiSdkClient } from './ai-sdk-client.js';
import { anthropicBaseUrl, streamAnthropicText } from './anthropic-text-stream.js';
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
 * A plain streamed answer with its output limit set (the reporting agent's, the hot path) is read
 * by the lean reader (anthropic-text-stream.ts) instead of the SDK's; without a limit the SDK
 * picks Anthropic's required `max_tokens` per model, so such a request stays on the SDK.
 */
export function createAnthropicClient(options: AnthropicOptions): LanguageModelClient {
  const baseUrl = anthropicBaseUrl(options.baseUrl);
  const provider = createAnthropic({ baseURL: baseUrl, ...(options.apiKey ? { apiKey: options.apiKey } : {}) });
  return createAiSdkClient({
    kind: 'anthropic',
    model: provider.messages(options.model),
    modelId: options.model,
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries ?? 2,
    ...(options.recordCall ? { recordCall: options.recordCall } : {}),
    textStream: {
      // Without a key of its own the SDK looks for one in its environment variable: left to it.
      takes: (request) => options.apiKey !== undefined && request.maxOutputTokens !== undefined && request.maxOutputTokens > 0,
      read: (request, signal, onUsage) =>
        streamAnthropicText(
          { baseUrl, apiKey: options.apiKey, model: options.model, maxRetries: options.maxRetries ?? 2 },
          { system: request.system, prompt: request.prompt, maxOutputTokens: request.maxOutputTokens! },
          signal,
          onUsage,
        ),
    },
  });
}
