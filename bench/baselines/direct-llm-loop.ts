import { LlmTriageSchema } from '../../packages/server/src/agents/triage.js';
import type { LanguageModelClient } from '../../packages/server/src/llm/language-model-client.js';
import { createOpenAiCompatibleClient } from '../../packages/server/src/llm/openai-compatible-client.js';
import type { LatencyHistogram } from '../lib/histogram.js';
import { chunksMarker, sentAtOf, wallNow } from '../lib/mock-llm.js';

/**
 * The baseline of the run pipeline: the harness calling the same mock LLM directly, through the
 * same client Tally uses (the AI SDK's OpenAI-compatible provider, packages/server/src/llm), with
 * the same LLM calls a run makes (triage's structured object, then the streamed answer read to
 * its end), and no auth, routing, agents, storage or sockets.
 */
export function createDirectLlm(llmBaseUrl: string): LanguageModelClient {
  return createOpenAiCompatibleClient({ baseUrl: llmBaseUrl, apiKey: 'bench', model: 'gpt-4o-mini', timeoutMs: 60_000 });
}

export interface DirectRun {
  /** ms from the answer's request to its first token, and wall time of that token's arrival. */
  firstTokenMs: number;
  firstTokenAt: number;
  firstTokenText: string;
  deltas: number;
}

/**
 * One "run" of the direct loop: triage's object, then the streamed answer (of `chunks` chunks
 * when given, as a Tally run asks with the same marker; the mock's default otherwise).
 */
export async function directRun(llm: LanguageModelClient, options: { latency?: LatencyHistogram; chunks?: number } = {}): Promise<DirectRun> {
  const { latency, chunks } = options;
  const signal = new AbortController().signal;
  await llm.generateObject({ system: 'Classify.', prompt: 'Where is my AI money going?', schema: LlmTriageSchema, name: 'triage', signal, feature: 'triage' });
  const asked = wallNow();
  let first: { at: number; text: string } | undefined;
  let deltas = 0;
  const prompt = chunks === undefined ? 'Where is my AI money going?' : `Where is my AI money going? ${chunksMarker(chunks)}`;
  for await (const text of llm.streamText({ system: 'Answer.', prompt, signal, feature: 'reporting' })) {
    const at = wallNow();
    first ??= { at, text };
    deltas++;
    const sentAt = sentAtOf(text);
    if (latency && sentAt !== undefined) latency.recordMs(at - sentAt);
  }
  if (!first) throw new Error('direct LLM loop: the answer had no token');
  return { firstTokenMs: first.at - asked, firstTokenAt: first.at, firstTokenText: first.text, deltas };
}

/** `concurrency` direct runs in flight for `durationMs` (then the ones in flight finish): completed runs per second. */
export async function runDirectLoop(llm: LanguageModelClient, options: { concurrency: number; durationMs: number; latency?: LatencyHistogram }): Promise<{ completed: number; runsPerSecond: number }> {
  const started = performance.now();
  const deadline = started + options.durationMs;
  let completed = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        await directRun(llm, { latency: options.latency });
        completed++;
      }
    }),
  );
  return { completed, runsPerSecond: completed / ((performance.now() - started) / 1000) };
}
