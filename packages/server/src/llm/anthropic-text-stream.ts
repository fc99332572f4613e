import { jsonEventData, ProviderStreamError, STREAM_DONE, streamSseTexts, type CallUsage, type SseTextRequest } from './lean-sse-text-stream.js';

export interface AnthropicEndpoint {
  /** Base URL including the version path (anthropicBaseUrl). */
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  /** Retries of a refused or failed request (408, 409, 429, 5xx, 529 overloaded, no connection) before any text arrived. */
  maxRetries: number;
}

/**
 * The Messages API version the lean requests ask for: the one @ai-sdk/anthropic sends, so both
 * readers speak the same version (the connectors pin the Admin API's apart).
 */
export const MESSAGES_API_VERSION = '2023-06-01';

/** Anthropic's public endpoint, where no base URL is configured (the AI SDK provider's default). */
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com/v1';

/**
 * The base URL both readers use: the configured one without its trailing slashes, Anthropic's own
 * host given without its version path completed as @ai-sdk/anthropic completes it, or the public
 * endpoint. Given to the SDK explicitly too, so neither reader falls back on another setting.
 */
export function anthropicBaseUrl(configured: string | undefined): string {
  if (!configured) return ANTHROPIC_BASE_URL;
  const trimmed = configured.replace(/\/+$/, '');
  return trimmed === 'https://api.anthropic.com' ? ANTHROPIC_BASE_URL : trimmed;
}

/**
 * A plain streamed answer (no tools, no structured output) from Anthropic's Messages API, read
 * lean (lean-sse-text-stream.ts), as the request @ai-sdk/anthropic sends for it: the system
 * prompt and one user message as text blocks, `max_tokens` as asked. Anthropic requires
 * `max_tokens`, and the SDK picks a default per model when none is asked, so a request without
 * one stays on the SDK (anthropic-client.ts).
 *
 * The events: `message_start` carries the input usage (the uncached input, cache reads and cache
 * writes, each apart, which are Tally's buckets as they are), `content_block_delta` with a
 * `text_delta` the text, `message_delta` the output tokens so far, `message_stop` the end; `ping`
 * and the block starts and stops carry nothing read here. An `error` event fails the answer after
 * the text before it; an `overloaded_error` before any text is retried, as the SDK retries it.
 */
export function streamAnthropicText(
  endpoint: AnthropicEndpoint,
  request: { system: string; prompt: string; maxOutputTokens: number },
  signal: AbortSignal,
  onUsage: (usage: CallUsage) => void,
): AsyncIterable<string> {
  const sent: SseTextRequest = {
    url: `${endpoint.baseUrl}/messages`,
    headers: { 'anthropic-version': MESSAGES_API_VERSION, ...(endpoint.apiKey ? { 'x-api-key': endpoint.apiKey } : {}) },
    body: {
      model: endpoint.model,
      max_tokens: request.maxOutputTokens,
      system: [{ type: 'text', text: request.system }],
      messages: [{ role: 'user', content: [{ type: 'text', text: request.prompt }] }],
      stream: true,
    },
    maxRetries: endpoint.maxRetries,
  };
  const usage: CallUsage = { noCacheTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 };
  return streamSseTexts(sent, signal, (event) => {
    const data = jsonEventData<AnthropicEvent>(event.data);
    switch (data.type) {
      case 'content_block_delta':
        return data.delta?.type === 'text_delta' && typeof data.delta.text === 'string' ? data.delta.text : undefined;
      case 'message_start': {
        const u = data.message?.usage;
        usage.noCacheTokens = u?.input_tokens ?? 0;
        usage.cacheReadTokens = u?.cache_read_input_tokens ?? 0;
        usage.cacheWriteTokens = u?.cache_creation_input_tokens ?? 0;
        usage.outputTokens = u?.output_tokens ?? 0;
        onUsage({ ...usage });
        return undefined;
      }
      case 'message_delta':
        // The output so far, cumulative: the last one is the call's.
        if (typeof data.usage?.output_tokens === 'number') usage.outputTokens = data.usage.output_tokens;
        onUsage({ ...usage });
        return undefined;
      case 'message_stop':
        return STREAM_DONE;
      case 'error':
        // Overloaded before any text is retried as the SDK retries it (and as HTTP 529 is).
        throw new ProviderStreamError(`the LLM reported an error mid-stream: ${data.error?.message ?? JSON.stringify(data.error)}`, data.error?.type === 'overloaded_error' ? 529 : undefined);
      default:
        return undefined;
    }
  });
}

interface AnthropicEvent {
  type?: string;
  delta?: { type?: string; text?: string };
  message?: { usage?: AnthropicUsage };
  usage?: { output_tokens?: number };
  error?: { type?: string; message?: string };
}

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}
