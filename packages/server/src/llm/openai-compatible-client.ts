import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, NoObjectGeneratedError, Output, generateText, streamText } from 'ai';
import { LlmError, type LanguageModelClient, type ObjectRequest, type TextRequest } from './language-model-client.js';

export interface OpenAiCompatibleOptions {
  /** Base URL including the version path, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  /** Budget of one call, retries included; combined with the run's signal. */
  timeoutMs: number;
  /** Retries of retryable failures (429, 5xx, network); the AI SDK's default is 2. */
  maxRetries?: number;
}

/**
 * Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp, LiteLLM...) through the AI SDK's
 * own provider. Structured output asks for a JSON schema response format, and the SDK validates the
 * answer against the zod schema.
 */
export function createOpenAiCompatibleClient(options: OpenAiCompatibleOptions): LanguageModelClient {
  const provider = createOpenAICompatible({
    name: 'openai-compatible',
    baseURL: options.baseUrl,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    supportsStructuredOutputs: true,
  });
  const model = provider.chatModel(options.model);
  const maxRetries = options.maxRetries ?? 2;

  return {
    modelId: options.model,

    async *streamText(request: TextRequest): AsyncIterable<string> {
      const call = callSignal(request.signal, options.timeoutMs);
      try {
        const result = streamText({
          model,
          system: request.system,
          prompt: request.prompt,
          abortSignal: call.signal,
          maxRetries,
          ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
          // Errors arrive as `error` parts below; the default handler would also log them.
          onError: () => {},
        });
        for await (const part of result.fullStream) {
          switch (part.type) {
            case 'text-delta':
              if (part.text) yield part.text;
              break;
            case 'error':
              throw part.error;
            case 'abort':
              throw call.abortError();
            default:
              break;
          }
        }
      } catch (error) {
        throw call.translate(error);
      } finally {
        call.dispose();
      }
    },

    async generateObject<T>(request: ObjectRequest<T>): Promise<T> {
      const call = callSignal(request.signal, options.timeoutMs);
      try {
        const result = await generateText({
          model,
          system: request.system,
          prompt: request.prompt,
          abortSignal: call.signal,
          maxRetries,
          ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
          output: Output.object({ schema: request.schema, name: request.name, ...(request.description ? { description: request.description } : {}) }),
        });
        return result.output;
      } catch (error) {
        throw call.translate(error);
      } finally {
        call.dispose();
      }
    },
  };
}

/**
 * The signal of one call: the run's signal or the timeout, whichever comes first. Errors are
 * translated so callers see the run's own abort reason for a stop, and an LlmError otherwise.
 */
function callSignal(runSignal: AbortSignal, timeoutMs: number) {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new LlmError('timeout', `LLM call timed out after ${timeoutMs} ms`)), timeoutMs);
  const signal = AbortSignal.any([runSignal, timeout.signal]);
  const abortError = (): unknown => (runSignal.aborted ? runSignal.reason : timeout.signal.reason);
  const translate = (error: unknown): unknown => {
    if (runSignal.aborted) return runSignal.reason;
    if (timeout.signal.aborted) return timeout.signal.reason;
    if (error instanceof LlmError) return error;
    if (NoObjectGeneratedError.isInstance(error)) {
      return new LlmError('invalid_output', `the model's output is not a valid object: ${error.message}`, { cause: error });
    }
    if (APICallError.isInstance(error)) {
      const status = error.statusCode ? `HTTP ${error.statusCode}` : 'no response';
      return new LlmError(error.statusCode ? 'http' : 'network', `LLM request failed (${status}): ${error.message}`, { cause: error });
    }
    const cause = lastError(error);
    if (APICallError.isInstance(cause)) return translate(cause);
    return new LlmError('network', `LLM request failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  };
  return { signal, abortError, translate, dispose: () => clearTimeout(timer) };
}

/** The AI SDK wraps exhausted retries in a RetryError that keeps the last error. */
function lastError(error: unknown): unknown {
  if (typeof error === 'object' && error !== null && 'lastError' in error) return (error as { lastError: unknown }).lastError;
  return undefined;
}
