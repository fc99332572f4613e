import type { LlmConfig } from '../config/config.js';
import type { LlmSettingsStore } from './llm-settings.js';

/** How often /v1/health asks the settings again which LLM new runs use. */
const REFRESH_MS = 1_000;

/**
 * The kind of LLM new runs use (the admin's setting, else the environment's), for /v1/health:
 * answered from memory at once and refreshed behind, so a health probe never waits on the
 * database. A change an admin makes shows within about a second, plus the settings' own max age.
 */
export function createLlmInUse(settings: Pick<LlmSettingsStore, 'current'>, initial: LlmConfig['kind'], now: () => number = Date.now): () => LlmConfig['kind'] {
  let kind = initial;
  let refreshedAt = Number.NEGATIVE_INFINITY;
  let refreshing = false;
  return () => {
    if (!refreshing && now() - refreshedAt >= REFRESH_MS) {
      refreshing = true;
      settings
        .current()
        .then((config) => void (kind = config.kind), () => undefined)
        .finally(() => {
          refreshing = false;
          refreshedAt = now();
        });
    }
    return kind;
  };
}
