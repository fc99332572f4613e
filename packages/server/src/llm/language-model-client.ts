import type { z } from 'zod';
import { AppError } from '../app-error.js';

/**
 * What the agents need of an LLM, and nothing more: streamed text, one validated object, and a
 * streamed answer with tool calls. Implementations: OpenAI-compatible and Anthropic, both through
 * the Vercel AI SDK (ai-sdk-client.ts). No LLM configured means no client at all (offline mode),
 * never a stub that pretends.
 */
export interface LanguageModelClient {
  /** The model id requests go to, for the agents' thinking events. */
  readonly modelId: string;
  /** Which kind of endpoint: `openai-compatible` or `anthropic`. */
  readonly kind: LlmKind;
  /**
   * The model's answer as text deltas, as they arrive; text that arrives together (a burst, one
   * socket read) comes as one delta, so a fast provider costs one run event per burst, not per
   * token. Aborting `signal` ends the HTTP request and the iteration throws the signal's reason;
   * other failures throw an LlmError.
   */
  streamText(request: TextRequest): AsyncIterable<string>;
  /**
   * One JSON object that `schema` accepts. Throws LlmError `invalid_output` when the model's output
   * is not such an object, so callers can fall back; the signal's reason when aborted.
   */
  generateObject<T>(request: ObjectRequest<T>): Promise<T>;
  /**
   * The model's answer as text deltas (joined as streamText's), while it may call `tools` (each
   * input validated by the tool's zod schema before `execute` runs) for at most `maxSteps` model
   * calls. Errors as streamText; the timeout applies to each model call.
   */
  streamWithTools(request: ToolLoopRequest): AsyncIterable<string>;
}

export type LlmKind = 'openai-compatible' | 'anthropic';

export interface TextRequest {
  system: string;
  prompt: string;
  /** The run's signal: a stop reaches the HTTP request. */
  signal: AbortSignal;
  maxOutputTokens?: number;
  /** What the call is for (the agent's name): recorded as the `feature` of Tally's own usage. */
  feature: string;
}

export interface ObjectRequest<T> extends TextRequest {
  schema: z.ZodType<T>;
  /** Name of the object, which some providers pass to the model as guidance. */
  name: string;
  description?: string;
}

/**
 * A tool the model may call. Identity never comes from the model: a tool closes over what it may
 * read (the run's owner), and its input holds only what the model chooses.
 */
export interface LlmTool<I = unknown> {
  description: string;
  inputSchema: z.ZodType<I>;
  execute(input: I, call: { toolCallId: string }): Promise<unknown>;
}

/**
 * A tool as a tool loop takes it, its input type erased: sound, since the client validates the
 * model's input with `inputSchema` before `execute` runs.
 */
export function defineTool<I>(t: LlmTool<I>): LlmTool<unknown> {
  return t as unknown as LlmTool<unknown>;
}

export interface ToolLoopRequest extends TextRequest {
  tools: Record<string, LlmTool<unknown>>;
  /** Model calls at most (each either calls tools or answers); the last one must answer. */
  maxSteps: number;
  /** A tool call the model made with input its schema refused (the model is told, and goes on). */
  onInvalidToolCall?(call: { toolCallId: string; toolName: string; input: unknown; error: string }): Promise<void>;
}

/** One model call, as Tally's own usage records it. */
export interface LlmCall {
  kind: LlmKind;
  model: string;
  /** The request's `feature` (the agent). */
  feature: string;
  startedAt: Date;
  latencyMs: number;
  status: 'ok' | 'error' | 'timeout';
  /** Uncached input tokens (Tally's disjoint buckets); 0 when the provider reported none. */
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

/** Receives every model call a client makes; must not throw (a failure to record is logged, not raised). */
export type LlmCallRecorder = (call: LlmCall) => Promise<void>;

export const LLM_ERROR_KINDS = ['timeout', 'http', 'invalid_output', 'network'] as const;
export type LlmErrorKind = (typeof LLM_ERROR_KINDS)[number];

/** A failed LLM call (not an abort: an abort throws the signal's reason, as fetch does). */
export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LlmError';
  }
}

/**
 * What an agent does with a failed LLM call. A bad answer (`invalid_output`) is the model's: the
 * agent falls back to rules or templates and says so. No answer at all (timeout, an unreachable or
 * refusing endpoint, after the SDK's retries) ends the run with LLM_TIMEOUT or LLM_UNAVAILABLE,
 * since waiting out a second timeout helps no one and a silent offline answer would hide a broken
 * configuration. Returns the reason to fall back with, or throws the run-ending AppError.
 */
export function fallbackReasonOrThrow(error: unknown): string {
  if (error instanceof LlmError) {
    switch (error.kind) {
      case 'invalid_output':
        return error.message;
      case 'timeout':
        throw new AppError('LLM_TIMEOUT', `The LLM did not answer in time: ${error.message}.`);
      case 'http':
      case 'network':
        throw new AppError('LLM_UNAVAILABLE', `The LLM could not answer: ${error.message}`);
      default: {
        const never: never = error.kind;
        throw new Error(`unknown LLM error kind ${String(never)}`);
      }
    }
  }
  throw error;
}
