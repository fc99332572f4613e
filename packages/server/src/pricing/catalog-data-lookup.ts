import { calcPrice, type MatchLogic, type PriceCalculation, type Provider } from '@pydantic/genai-prices';

/**
 * Finds a call's model in a loaded data file (catalog-data.ts) as the library finds it in its
 * bundled data: the provider named by the call when the data knows it (by id, else by its
 * `provider_match`), else the first provider whose `model_match` fits the model id; then the
 * model inside it, its fallback providers' models after its own. Every match is decided by the
 * library (`calcPrice` with an explicit provider), never by a second matcher here; the library's
 * own data, which it would fall back to, never takes part.
 */
export interface CatalogDataLookup {
  /** The price calculation of nothing for the model at `at` (its provider, model and entry), or null. */
  find(model: string, provider: string | null | undefined, at: Date): PriceCalculation | null;
}

export function createCatalogDataLookup(providers: readonly Provider[]): CatalogDataLookup {
  const byId = new Map(providers.map((p) => [p.id, p]));
  /** The provider with its fallback providers' models after its own, as the library searches them. */
  const searchable = new Map(
    providers.map((p) => {
      const fallbacks = (p.fallback_model_providers ?? []).flatMap((id) => byId.get(id)?.models ?? []);
      return [p.id, fallbacks.length === 0 ? p : { ...p, models: [...p.models, ...fallbacks] }];
    }),
  );

  function providerFor(label: string): Provider | undefined {
    const id = label.toLowerCase().trim();
    return byId.get(id) ?? providers.find((p) => p.provider_match !== undefined && matches(p.provider_match, id));
  }

  return {
    find(model, provider, at) {
      const named = provider ? providerFor(provider) : undefined;
      // A provider label the data does not know leaves the model id to decide, as with the bundled data.
      const chosen = named ?? providers.find((p) => p.model_match !== undefined && matches(p.model_match, model.toLowerCase().trim()));
      if (!chosen) return null;
      return calcPrice({}, model, { provider: searchable.get(chosen.id) ?? chosen, timestamp: at });
    },
  };
}

/** Whether the library's matcher accepts `id` under `logic`: a one-model provider it searches. */
function matches(logic: MatchLogic, id: string): boolean {
  const probe: Provider = { id: 'match-probe', name: 'match probe', api_pattern: '$^', models: [{ id: 'probe', match: logic, prices: { input_mtok: 0 } }] };
  try {
    return calcPrice({}, id, { provider: probe }) !== null;
  } catch {
    return false;
  }
}
