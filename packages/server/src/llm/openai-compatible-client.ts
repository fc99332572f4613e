import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createAiSdkClient } from './ai-sdk-client.js';
import { streamOpenAiCompatibleText } from './openai-compatible-text-stream.js';
import type { LanguageModelClient, LlmCallRecorder } from './language-model-client.js';

export interface OpenAiCompatibleOptions {
  /** Base URL including the version path, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  /** Budget of one model call, retries included; combined with the run's signal. */
  timeoutMs: number;
  /** Retries of retryable failures (429, 5xx, network); the AI SDK's default is 2. */
  maxRetries?: number;
  recordCall?: LlmCallRecorder;
}

/**
 * Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp, LiteLLM...) through the AI SDK's
 * own provider. Structured output asks for a JSON schema response format, and the SDK validates the
 * answer against the zod schema; usage is asked for in streams (`stream_options.include_usage`).
 * A plain streamed answer (the reporting agent's, the hot path) is read by the lean reader
 * (openai-compatible-text-stream.ts) instead of the SDK's; tool loops stay on the SDK.
 */
export function createOpenAiCompatibleClient(options: OpenAiCompatibleOptions): LanguageModelClient {
  const provider = createOpenAICompatible({
    name: 'openai-compatible',
    baseURL: options.baseUrl,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    supportsStructuredOutputs: true,
    includeUsage: true,
  });
  return createAiSdkClient({
    kind: 'openai-compatible',
    model: provider.chatModel(options.model),
    modelId: options.model,
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries ?? 2,
    ...(options.recordCall ? { recordCall: options.recordCall } : {}),
    textStream: {
      takes: () => true,
      read: (request, signal, onUsage) =>
        streamOpenAiCompatibleText({ baseUrl: options.baseUrl, apiKey: options.apiKey, model: options.model, maxRetries: options.maxRetries ?? 2 }, request, signal, onUsage),
    },
  });
}
