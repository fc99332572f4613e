import type { z } from 'zod';

/**
 * What the agents need of an LLM, and nothing more: streamed text and one validated object.
 * Implementations: OpenAI-compatible (through the Vercel AI SDK) now, Anthropic later. No LLM
 * configured means no client at all (offline mode), never a stub that pretends.
 */
export interface LanguageModelClient {
  /** The model id requests go to, for the agents' thinking events. */
  readonly modelId: string;
  /**
   * The model's answer as text deltas, as they arrive. Aborting `signal` ends the HTTP request and
   * the iteration throws the signal's reason; other failures throw an LlmError.
   */
  streamText(request: TextRequest): AsyncIterable<string>;
  /**
   * One JSON object that `schema` accepts. Throws LlmError `invalid_output` when the model's output
   * is not such an object, so callers can fall back; the signal's reason when aborted.
   */
  generateObject<T>(request: ObjectRequest<T>): Promise<T>;
}

export interface TextRequest {
  system: string;
  prompt: string;
  /** The run's signal: a stop reaches the HTTP request. */
  signal: AbortSignal;
  maxOutputTokens?: number;
}

export interface ObjectRequest<T> extends TextRequest {
  schema: z.ZodType<T>;
  /** Name of the object, which some providers pass to the model as guidance. */
  name: string;
  description?: string;
}

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
