import { calcPrice, findProvider, type ModelPrice, type Provider } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../usage/demo/seeded-random.js';
import { entryPlan, libraryEntryPrice, libraryUsage, modelPlan, planAt, priceWithPlan, verifiedEntryPlan, type TokenUsage } from './token-price-plan.js';

/** Every provider of genai-prices 0.1.8's catalog: a plan must agree with the library on all of them. */
const PROVIDER_IDS = [
  'anthropic', 'arcee', 'avian', 'aws', 'azure', 'baseten', 'cerebras', 'cloudflare', 'cohere', 'cursor', 'deepseek',
  'doubleword', 'fireworks', 'github-copilot', 'google', 'groq', 'huggingface_cerebras', 'huggingface_fireworks-ai',
  'huggingface_groq', 'huggingface_hyperbolic', 'huggingface_nebius', 'huggingface_novita', 'huggingface_nscale',
  'huggingface_ovhcloud', 'huggingface_publicai', 'huggingface_sambanova', 'huggingface_together', 'minimax', 'mistral',
  'modal', 'moonshotai', 'novita', 'openai', 'openrouter', 'ovhcloud', 'perplexity', 'quicksilverpro', 'together',
  'typesafe', 'voyageai', 'x-ai', 'zai', 'zhipuai',
];

function catalog(): { provider: Provider; modelId: string; alone: Provider }[] {
  return PROVIDER_IDS.flatMap((id) => {
    const provider = findProvider({ providerId: id });
    if (!provider) throw new Error(`provider ${id} is gone from the catalog`);
    return provider.models.map((model) => ({ provider, modelId: model.id, alone: { ...provider, models: [{ ...model, match: { equals: model.id } }] } }));
  });
}

/** Usages of every shape: small and huge, each bucket zero or not, across tier thresholds. */
function usages(seed: number, count: number): TokenUsage[] {
  const random = createSeededRandom(seed);
  const size = () => {
    const scale = [0, 1, 40, 2_000, 150_000, 1_500_000][random.int(0, 5)]!;
    return Math.floor(random.next() * scale);
  };
  const out: TokenUsage[] = [];
  for (let i = 0; i < count; i++) {
    const cacheRead = size();
    const cacheWrite = size();
    // Some writes all 5-minute, some all 1-hour, some split.
    const cacheWrite1h = [0, cacheWrite, Math.floor(cacheWrite / 3)][random.int(0, 2)]!;
    out.push({ input: size() + cacheRead + cacheWrite, cacheRead, cacheWrite, cacheWrite1h, output: size() });
  }
  out.push(
    { input: 200_000, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, output: 1 },
    { input: 200_001, cacheRead: 1, cacheWrite: 0, cacheWrite1h: 0, output: 1 },
    { input: 200_001, cacheRead: 1, cacheWrite: 7, cacheWrite1h: 7, output: 1 },
  );
  return out;
}

describe('token price plans', () => {
  const models = catalog();

  it('cover most of the catalog', () => {
    const planned = models.filter(({ alone, modelId }) => modelPlan(alone.models[0]!, libraryEntryPrice(alone, modelId))?.entries.some((e) => e.plan));
    expect(models.length).toBeGreaterThan(1000);
    expect(planned.length / models.length).toBeGreaterThan(0.9);
  });

  it('are all confirmed by the library: no entry the plan reads is refused by its samples', () => {
    const refused: string[] = [];
    for (const { alone, modelId } of models) {
      const library = libraryEntryPrice(alone, modelId);
      const prices = alone.models[0]!.prices;
      for (const entry of Array.isArray(prices) ? prices.map((p) => p.prices) : [prices]) {
        if (entryPlan(entry) && !verifiedEntryPlan(entry, library)) refused.push(`${alone.id}/${modelId}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it('price every entry of every model exactly as the library, to the bit', () => {
    const samples = usages(11, 150);
    const mismatches: string[] = [];
    for (const { alone, modelId } of models) {
      const library = libraryEntryPrice(alone, modelId);
      const prices = alone.models[0]!.prices;
      const entries: ModelPrice[] = Array.isArray(prices) ? prices.map((p) => p.prices) : [prices];
      for (const entry of entries) {
        const plan = verifiedEntryPlan(entry, library);
        if (!plan) continue;
        for (const usage of samples) {
          const planned = priceWithPlan(plan, usage);
          if (planned === null) continue;
          const expected = library(entry, usage);
          if (!Object.is(planned, expected)) mismatches.push(`${alone.id}/${modelId} ${JSON.stringify(usage)}: ${planned} vs ${expected}`);
        }
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('pick the entry the library picks at each date, around every change', () => {
    const usage: TokenUsage = { input: 1_234_567, cacheRead: 34_567, cacheWrite: 4_567, cacheWrite1h: 1_234, output: 76_543 };
    const mismatches: string[] = [];
    for (const { alone, modelId } of models) {
      const model = alone.models[0]!;
      const plans = modelPlan(model, libraryEntryPrice(alone, modelId));
      if (!plans || !Array.isArray(model.prices)) continue;
      const times = [Date.parse('2020-01-01T00:00:00Z'), Date.parse('2030-01-01T00:00:00Z')];
      for (const { constraint } of model.prices) {
        if (constraint?.type === 'start_date') {
          const start = new Date(constraint.start_date).getTime();
          times.push(start - 1, start, start + 1);
        }
      }
      for (const at of times) {
        const plan = planAt(plans, at);
        const planned = plan && priceWithPlan(plan, usage);
        if (planned === null) continue;
        const expected = calcPrice(libraryUsage(usage), modelId, { provider: alone, timestamp: new Date(at) })?.total_price;
        if (!Object.is(planned, expected)) mismatches.push(`${alone.id}/${modelId} at ${new Date(at).toISOString()}: ${planned} vs ${expected}`);
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('leave to the library what they do not reproduce', () => {
    // A price per request, values the library rejects, a cache price without the input price.
    expect(entryPlan({ input_mtok: 1, output_mtok: 2, requests_kcount: 5 })).toBeNull();
    expect(entryPlan({ input_mtok: -1, output_mtok: 2 })).toBeNull();
    expect(entryPlan({ input_mtok: 1, output_mtok: Number.NaN })).toBeNull();
    expect(entryPlan({ cache_read_mtok: 1, output_mtok: 2 })).toBeNull();
    const plan = entryPlan({ input_mtok: 1, cache_read_mtok: 0.1, output_mtok: 2 })!;
    // More cache than input: the library clamps or throws, the plan does not decide.
    expect(priceWithPlan(plan, { input: 5, cacheRead: 6, cacheWrite: 0, cacheWrite1h: 0, output: 1 })).toBeNull();
    expect(priceWithPlan(plan, { input: Number.POSITIVE_INFINITY, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, output: 1 })).toBeNull();
    // More 1-hour writes than writes: the library throws.
    const withWrites = entryPlan({ input_mtok: 3, cache_write_mtok: 3.75, cache_write_1h_mtok: 6, output_mtok: 15 })!;
    expect(priceWithPlan(withWrites, { input: 10, cacheRead: 0, cacheWrite: 2, cacheWrite1h: 3, output: 1 })).toBeNull();
    // A 1-hour write price without the write price: the library refuses the entry.
    expect(entryPlan({ input_mtok: 3, cache_write_1h_mtok: 6, output_mtok: 15 })).toBeNull();
    // A time-of-day price depends on more than the date.
    expect(
      modelPlan(
        { id: 'm', match: { equals: 'm' }, prices: [{ prices: { input_mtok: 1, output_mtok: 1 } }, { constraint: { type: 'time_of_date', start_time: '16:30:00Z', end_time: '00:30:00Z' }, prices: { input_mtok: 0.5, output_mtok: 0.5 } }] },
        () => 0,
      ),
    ).toBeNull();
  });

  it('are not used when the library disagrees with them on a sample', () => {
    expect(verifiedEntryPlan({ input_mtok: 1, output_mtok: 2 }, () => 42)).toBeNull();
    expect(
      verifiedEntryPlan({ input_mtok: 1, output_mtok: 2 }, () => {
        throw new Error('refused');
      }),
    ).toBeNull();
  });
});
