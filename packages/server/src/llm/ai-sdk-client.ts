import { APICallError, NoObjectGeneratedError, Output, generateText, stepCountIs, streamText, tool, type LanguageModel, type LanguageModelUsage, type ToolSet } from 'ai';
import {
  LlmError,
  type LanguageModelClient,
  type LlmCall,
  type LlmCallRecorder,
  type LlmKind,
  type ObjectRequest,
  type TextRequest,
  type ToolLoopRequest,
} from './language-model-client.js';
import type { CallUsage } from './lean-sse-text-stream.js';
import { coalesceTextStream } from './coalesce-text-stream.js';

export interface AiSdkClientOptions {
  kind: LlmKind;
  /** The provider's model, as the AI SDK takes it. */
  model: LanguageModel;
  modelId: string;
  /** Budget of one model call, retries included; combined with the run's signal. */
  timeoutMs: number;
  /** Retries of retryable failures (429, 5xx, network), with the SDK's exponential backoff. */
  maxRetries: number;
  /** Gets every model call (its tokens, latency and status): Tally's own usage. */
  recordCall?: LlmCallRecorder;
  /**
   * A leaner reader for plain streamed answers (no tools), used instead of the SDK's there; its
   * errors must be the SDK's kinds (APICallError for HTTP and connection failures) so both paths
   * translate alike. A request it does not take goes to the SDK's reader. Tool loops and structured
   * output always go through the SDK.
   */
  textStream?: LeanTextStream;
}

export interface LeanTextStream {
  takes(request: TextRequest): boolean;
  read(request: TextRequest, signal: AbortSignal, onUsage: (usage: CallUsage) => void): AsyncIterable<string>;
}

/**
 * A LanguageModelClient over any AI SDK model: the one implementation the OpenAI-compatible and
 * Anthropic clients share, so streaming, structured output, tool loops, timeouts, retries, stops
 * and usage recording behave the same whatever the provider.
 */
export function createAiSdkClient(options: AiSdkClientOptions): LanguageModelClient {
  const { model, maxRetries, timeoutMs } = options;

  async function record(feature: string, startedAt: Date, status: LlmCall['status'], usage?: LanguageModelUsage | CallUsage): Promise<void> {
    if (!options.recordCall) return;
    const tokens = usage === undefined ? undefined : 'noCacheTokens' in usage ? usage : callUsageOf(usage);
    await options.recordCall({
      kind: options.kind,
      model: options.modelId,
      feature,
      startedAt,
      latencyMs: Math.max(0, Date.now() - startedAt.getTime()),
      status,
      inputTokens: tokens?.noCacheTokens ?? 0,
      cacheReadTokens: tokens?.cacheReadTokens ?? 0,
      cacheWriteTokens: tokens?.cacheWriteTokens ?? 0,
      outputTokens: tokens?.outputTokens ?? 0,
      reasoningTokens: tokens?.reasoningTokens ?? 0,
    });
  }

  /** A plain answer through the lean reader: the same budget, stop, error translation and recording as the SDK's path. */
  async function* leanStream(request: TextRequest, lean: LeanTextStream): AsyncIterable<string> {
    const call = callSignal(request.signal, timeoutMs);
    const startedAt = new Date();
    let usage: CallUsage | undefined;
    try {
      yield* lean.read(request, call.signal, (u) => (usage = u));
      // Ended by the consumer (a break) or aborted without an error surfacing: the stop's reason, as the SDK path throws it.
      if (call.signal.aborted) throw call.abortError();
      await record(request.feature, startedAt, 'ok', usage);
    } catch (error) {
      const translated = call.translate(error);
      await record(request.feature, startedAt, statusOf(translated), usage);
      throw translated;
    } finally {
      call.dispose();
    }
  }

  /** One streamed answer: plain (no tools, one step) or a tool loop of at most `maxSteps` model calls. */
  async function* stream(request: TextRequest, loop?: { tools: ToolSet; maxSteps: number; onInvalid?: ToolLoopRequest['onInvalidToolCall'] }): AsyncIterable<string> {
    const call = callSignal(request.signal, timeoutMs);
    let stepStarted = new Date();
    try {
      const result = streamText({
        model,
        system: request.system,
        prompt: request.prompt,
        abortSignal: call.signal,
        maxRetries,
        ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
        ...(loop ? { tools: loop.tools, stopWhen: stepCountIs(loop.maxSteps) } : {}),
        // Errors arrive as `error` parts below; the default handler would also log them.
        onError: () => {},
      });
      for await (const part of result.fullStream) {
        switch (part.type) {
          case 'text-delta':
            if (part.text) yield part.text;
            break;
          case 'tool-call':
            if (part.invalid && loop?.onInvalid) {
              await loop.onInvalid({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input, error: errorText(part.error) });
            }
            break;
          case 'finish-step':
            await record(request.feature, stepStarted, 'ok', part.usage);
            // Each model call has its own budget; the next starts now (tools run in it).
            stepStarted = new Date();
            call.restart();
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
      const translated = call.translate(error);
      await record(request.feature, stepStarted, statusOf(translated));
      throw translated;
    } finally {
      call.dispose();
    }
  }

  return {
    modelId: options.modelId,
    kind: options.kind,

    // The lean reader joins the texts of each read itself; the SDK hands over its parts one by one.
    streamText: (request) => (options.textStream?.takes(request) ? leanStream(request, options.textStream) : coalesceTextStream(stream(request))),

    streamWithTools(request: ToolLoopRequest): AsyncIterable<string> {
      const tools: ToolSet = {};
      for (const [name, t] of Object.entries(request.tools)) {
        tools[name] = tool<unknown, unknown>({
          description: t.description,
          inputSchema: t.inputSchema,
          execute: (input, { toolCallId }) => t.execute(input, { toolCallId }),
        });
      }
      return coalesceTextStream(stream(request, { tools, maxSteps: request.maxSteps, onInvalid: request.onInvalidToolCall }));
    },

    async generateObject<T>(request: ObjectRequest<T>): Promise<T> {
      const call = callSignal(request.signal, timeoutMs);
      const startedAt = new Date();
      let recorded = false;
      try {
        const result = await generateText({
          model,
          system: request.system,
          prompt: request.prompt,
          abortSignal: call.signal,
          maxRetries,
          ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
          output: Output.object({ schema: request.schema, name: request.name, ...(request.description ? { description: request.description } : {}) }),
          onStepFinish: async (step) => {
            recorded = true;
            await record(request.feature, startedAt, 'ok', step.usage);
          },
        });
        return result.output;
      } catch (error) {
        const translated = call.translate(error);
        // A model that answered with a bad object was still a call that went through.
        if (!recorded) await record(request.feature, startedAt, statusOf(translated), usageOf(error));
        throw translated;
      } finally {
        call.dispose();
      }
    },
  };
}

/** The SDK's usage in Tally's disjoint buckets. */
function callUsageOf(usage: LanguageModelUsage): CallUsage {
  const cacheRead = usage.inputTokenDetails.cacheReadTokens ?? 0;
  const cacheWrite = usage.inputTokenDetails.cacheWriteTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  return {
    noCacheTokens: usage.inputTokenDetails.noCacheTokens ?? Math.max(0, (usage.inputTokens ?? 0) - cacheRead - cacheWrite),
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    outputTokens: output,
    reasoningTokens: Math.min(output, usage.outputTokenDetails.reasoningTokens ?? 0),
  };
}

function statusOf(error: unknown): LlmCall['status'] {
  return error instanceof LlmError && error.kind === 'timeout' ? 'timeout' : 'error';
}

/** The usage a NoObjectGeneratedError carries: the call was billed even though its output was refused. */
function usageOf(error: unknown): LanguageModelUsage | undefined {
  return NoObjectGeneratedError.isInstance(error) ? error.usage : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The signal of one call: the run's signal or the timeout, whichever comes first; `restart` gives
 * the next model call of a tool loop a fresh budget. Errors are translated so callers see the run's
 * own abort reason for a stop, and an LlmError otherwise.
 */
function callSignal(runSignal: AbortSignal, timeoutMs: number) {
  const timeout = new AbortController();
  const arm = () => setTimeout(() => timeout.abort(new LlmError('timeout', `no answer within ${timeoutMs} ms`)), timeoutMs);
  let timer = arm();
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
    return new LlmError('network', `LLM request failed: ${errorText(error)}`, { cause: error });
  };
  return {
    signal,
    abortError,
    translate,
    restart() {
      clearTimeout(timer);
      if (!timeout.signal.aborted) timer = arm();
    },
    dispose: () => clearTimeout(timer),
  };
}

/** The AI SDK wraps exhausted retries in a RetryError that keeps the last error. */
function lastError(error: unknown): unknown {
  if (typeof error === 'object' && error !== null && 'lastError' in error) return (error as { lastError: unknown }).lastError;
  return undefined;
}
