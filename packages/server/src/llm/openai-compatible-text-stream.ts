import { jsonEventData, STREAM_DONE, streamSseTexts, type CallUsage, type SseTextRequest } from './lean-sse-text-stream.js';

export interface OpenAiCompatibleEndpoint {
  /** Base URL including the version path, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  /** Retries of a refused or failed request (408, 409, 429, 5xx, no connection) before any text arrived. */
  maxRetries: number;
}

/**
 * A plain streamed answer (no tools, no structured output) from an OpenAI-compatible chat
 * completions endpoint, read lean (lean-sse-text-stream.ts): each chunk's text, usage when the
 * stream ends with it, `[DONE]` at the end. An error the provider sends inside the stream, or a
 * chunk that is not JSON, fails the answer.
 */
export function streamOpenAiCompatibleText(
  endpoint: OpenAiCompatibleEndpoint,
  request: { system: string; prompt: string; maxOutputTokens?: number },
  signal: AbortSignal,
  onUsage: (usage: CallUsage) => void,
): AsyncIterable<string> {
  const body = {
    model: endpoint.model,
    ...(request.maxOutputTokens ? { max_tokens: request.maxOutputTokens } : {}),
    messages: [
      { role: 'system', content: request.system },
      { role: 'user', content: request.prompt },
    ],
    stream: true,
    stream_options: { include_usage: true },
  };
  const sent: SseTextRequest = {
    url: `${endpoint.baseUrl.replace(/\/+$/, '')}/chat/completions`,
    headers: endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {},
    body,
    maxRetries: endpoint.maxRetries,
  };
  return streamSseTexts(sent, signal, (event) => {
    if (event.data === '[DONE]') return STREAM_DONE;
    const chunk = jsonEventData<OpenAiChunk>(event.data);
    if (chunk.error) throw new Error(`the LLM reported an error mid-stream: ${chunk.error.message ?? JSON.stringify(chunk.error)}`);
    if (chunk.usage) onUsage(usageOf(chunk.usage));
    const text = chunk.choices?.[0]?.delta?.content;
    return typeof text === 'string' ? text : undefined;
  });
}

interface OpenAiChunk {
  choices?: Array<{ delta?: { content?: string | null } }>;
  usage?: OpenAiUsage | null;
  error?: { message?: string };
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

function usageOf(usage: OpenAiUsage): CallUsage {
  const input = usage.prompt_tokens ?? 0;
  const cacheRead = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const output = usage.completion_tokens ?? 0;
  return {
    noCacheTokens: Math.max(0, input - cacheRead),
    cacheReadTokens: cacheRead,
    cacheWriteTokens: 0,
    outputTokens: output,
    reasoningTokens: Math.min(output, usage.completion_tokens_details?.reasoning_tokens ?? 0),
  };
}
