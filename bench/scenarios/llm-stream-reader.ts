import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createAiSdkClient } from '../../packages/server/src/llm/ai-sdk-client.js';
import type { LanguageModelClient } from '../../packages/server/src/llm/language-model-client.js';
import { createAnthropicClient } from '../../packages/server/src/llm/anthropic-client.js';
import { createOpenAiCompatibleClient } from '../../packages/server/src/llm/openai-compatible-client.js';
import { sleep } from '../lib/concurrency.js';
import { startMockLlm } from '../lib/mock-llm.js';
import { alternate, spreadOf, spreadText } from '../lib/round-stats.js';
import type { Scenario } from '../lib/scenario.js';

const STREAMS = 100;
const DELTAS = 100;
const DELTA_DELAY_MS = 20;
const SPREAD_MS = 1_000;

/**
 * CPU per streamed chunk of the LLM client Tally uses for a plain answer (the lean SSE readers,
 * llm/lean-sse-text-stream.ts) against the AI SDK's own reader over the same provider, for each
 * provider with a lean reader: OpenAI-compatible (the client without the lean reader) and
 * Anthropic (the same client asked without an output limit, which it leaves to the SDK; the
 * requests differ only in `max_tokens`). 100 streams at once from the mock LLM, 100 chunks each
 * at 50/s, every chunk its own socket read as in a live answer. CPU is this process's (the reader
 * runs here, nothing else does), per chunk received. Three rounds each, alternating which goes
 * first.
 */
export const llmStreamReader: Scenario = {
  name: 'llm-stream-reader',
  quick: true,
  async run(ctx) {
    const llm = await startMockLlm({ deltas: DELTAS, deltaDelayMs: DELTA_DELAY_MS });
    try {
      const provider = createOpenAICompatible({ name: 'openai-compatible', baseURL: llm.url, apiKey: 'bench', supportsStructuredOutputs: true, includeUsage: true });
      const anthropic = createAnthropicClient({ baseUrl: llm.url, apiKey: 'bench', model: 'bench-model', timeoutMs: 60_000 });
      const pairs: Array<{ provider: string; lean: Reader; sdk: Reader }> = [
        {
          provider: 'OpenAI-compatible',
          lean: reader(createOpenAiCompatibleClient({ baseUrl: llm.url, apiKey: 'bench', model: 'bench-model', timeoutMs: 60_000 })),
          sdk: reader(createAiSdkClient({ kind: 'openai-compatible', model: provider.chatModel('bench-model'), modelId: 'bench-model', timeoutMs: 60_000, maxRetries: 2 })),
        },
        { provider: 'Anthropic', lean: reader(anthropic, { maxOutputTokens: 1024 }), sdk: reader(anthropic) },
      ];
      const figures = [];
      for (const pair of pairs) {
        await streams(pair.lean, 20);
        await streams(pair.sdk, 20);
        const perChunk = { lean: [] as number[], sdk: [] as number[] };
        for (let round = 1; round <= 3; round++) {
          for (const which of alternate(round, 'lean' as const, 'sdk' as const)) {
            const us = await streams(pair[which], STREAMS);
            perChunk[which].push(us);
            ctx.log(`${pair.provider}, round ${round}, ${which === 'lean' ? 'lean reader' : 'AI SDK reader'}: ${us.toFixed(1)} µs CPU per chunk`);
          }
        }
        const l = spreadOf(perChunk.lean);
        const s = spreadOf(perChunk.sdk);
        figures.push({
          name: pair.provider === 'OpenAI-compatible' ? 'CPU per streamed chunk, plain answer (median round)' : `CPU per streamed chunk, plain answer, ${pair.provider} (median round)`,
          unit: 'µs',
          tally: l.median,
          baseline: s.median,
          baselineName: "the AI SDK's reader (same provider, same client otherwise)",
          note: `${STREAMS} streams at once from the mock LLM (${DELTAS} chunks at ${1000 / DELTA_DELAY_MS}/s each, started over ${SPREAD_MS / 1000} s), ${pair.provider}'s stream format; harness process CPU over the round / chunks received. Lean ${spreadText(l, 1, ' µs')}; AI SDK ${spreadText(s, 1, ' µs')}. No target: the saving per chunk is what the node's CPU per delivered chunk (event-delivery) gains.`,
        });
      }
      return { scenario: 'llm-stream-reader', figures };
    } finally {
      await llm.close();
    }
  },
};

/** A client and the output limit its requests carry (which decides the reader for Anthropic). */
interface Reader {
  client: LanguageModelClient;
  maxOutputTokens?: number;
}

function reader(client: LanguageModelClient, options: { maxOutputTokens?: number } = {}): Reader {
  return { client, ...options };
}

/** `count` plain answers at once, each read to its end; CPU µs of this process per chunk received. */
async function streams({ client, maxOutputTokens }: Reader, count: number): Promise<number> {
  let chunks = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      await sleep((i * SPREAD_MS) / count);
      const request = { system: 's', prompt: 'p', signal: new AbortController().signal, feature: 'bench', ...(maxOutputTokens ? { maxOutputTokens } : {}) };
      for await (const text of client.streamText(request)) if (text) chunks++;
    }),
  );
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / Math.max(1, chunks);
}
