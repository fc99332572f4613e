import type { LlmSettings, UpdateLlmSettingsRequest } from '@tally/protocol';
import { AppError } from '../app-error.js';
import type { LlmConfig } from '../config/config.js';
import { channels, type Bus } from '../bus/bus.js';
import type { Db } from '../store/database.js';

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The LLM configuration an admin sets (GET/PUT/DELETE /v1/admin/llm), kept in the database so
 * every node uses it for the runs it starts next; without it, the environment's TALLY_LLM_*.
 * The API key is stored as given (see docs/DECISIONS.md) and never returned.
 */
export interface LlmSettingsStore {
  /** What an admin sees: never the key, only whether one is set. */
  view(): Promise<LlmSettings>;
  /** The configuration a new run uses. */
  current(): Promise<LlmConfig>;
  /**
   * Replaces the admin's configuration. `apiKey` absent keeps the stored key when the provider is
   * unchanged; VALIDATION_FAILED when anthropic would have no key.
   */
  update(request: UpdateLlmSettingsRequest, actorId: string): Promise<LlmSettings>;
  /** Back to the environment's configuration. */
  clear(): Promise<LlmSettings>;
  /** Stops listening for changes made on other nodes. */
  close(): Promise<void>;
}

/** How long a node may answer `current()` from memory when no change message reaches it. */
export const LLM_SETTINGS_MAX_AGE_MS = 2_000;

/**
 * Every run starts with `current()`, so a node keeps the configuration it read: a change made on
 * any node is announced on the bus and forgotten everywhere at once (and after a bus reconnect,
 * when messages may have been lost); `maxAgeMs` bounds how stale it can be if a message is lost
 * all the same. A read that overlapped a change is not kept (it may predate it).
 */
export async function createLlmSettings(deps: { db: Db; bus: Bus; fallback: LlmConfig; maxAgeMs?: number; now?: () => number }): Promise<LlmSettingsStore> {
  const { db, bus, fallback } = deps;
  const maxAgeMs = deps.maxAgeMs ?? LLM_SETTINGS_MAX_AGE_MS;
  const clock = deps.now ?? Date.now;
  const load = () => db.selectFrom('llm_settings').selectAll().where('id', '=', 1).executeTakeFirst();
  let kept: { config: LlmConfig; until: number } | null = null;
  let generation = 0;
  const forget = () => {
    generation++;
    kept = null;
  };
  const unsubscribe = await bus.subscribe(channels.llmSettingsChanged, forget);
  const stopReconnect = bus.onReconnect(forget);
  /** After a write: this node forgets at once, the others when the message reaches them. */
  const changed = async () => {
    forget();
    await bus.publish(channels.llmSettingsChanged, 'changed').catch(() => undefined);
  };

  async function read(): Promise<LlmConfig> {
    const row = await load();
    if (!row) return fallback;
    switch (row.provider) {
      case 'offline':
        return { kind: 'offline' };
      case 'openai-compatible':
        return { kind: 'openai-compatible', baseUrl: required(row.base_url), apiKey: row.api_key ?? undefined, model: required(row.model), timeoutMs: row.timeout_ms };
      case 'anthropic':
        return { kind: 'anthropic', baseUrl: row.base_url ?? undefined, apiKey: required(row.api_key), model: required(row.model), timeoutMs: row.timeout_ms };
      default: {
        const never: never = row.provider;
        throw new Error(`unknown LLM provider ${String(never)}`);
      }
    }
  }

  async function view(): Promise<LlmSettings> {
    const row = await load();
    if (!row) return viewOf(fallback);
    return {
      source: 'database',
      provider: row.provider,
      baseUrl: row.base_url,
      model: row.model,
      apiKeySet: row.api_key !== null,
      timeoutMs: row.timeout_ms,
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }

  return {
    view,

    async current() {
      if (kept && kept.until > clock()) return kept.config;
      const seen = generation;
      const config = await read();
      if (seen === generation) kept = { config, until: clock() + maxAgeMs };
      return config;
    },

    async update(request, actorId) {
      const stored = await load();
      const offline = request.provider === 'offline';
      const keptKey = stored?.provider === request.provider ? stored.api_key : null;
      const apiKey = offline ? null : request.apiKey === undefined ? keptKey : request.apiKey;
      if (request.provider === 'anthropic' && !apiKey) throw new AppError('VALIDATION_FAILED', 'Invalid request: apiKey: is required for anthropic');
      const values = {
        provider: request.provider,
        base_url: offline ? null : (request.baseUrl ?? null),
        model: offline ? null : (request.model ?? null),
        api_key: apiKey,
        timeout_ms: request.timeoutMs ?? stored?.timeout_ms ?? timeoutOf(fallback),
        updated_by: actorId,
        updated_at: new Date(),
      };
      await db
        .insertInto('llm_settings')
        .values({ id: 1, ...values })
        .onConflict((oc) => oc.column('id').doUpdateSet(values))
        .execute();
      await changed();
      return view();
    },

    async clear() {
      await db.deleteFrom('llm_settings').where('id', '=', 1).execute();
      await changed();
      return view();
    },

    async close() {
      stopReconnect();
      await unsubscribe();
    },
  };
}

function viewOf(config: LlmConfig): LlmSettings {
  if (config.kind === 'offline') {
    return { source: 'environment', provider: 'offline', baseUrl: null, model: null, apiKeySet: false, timeoutMs: DEFAULT_TIMEOUT_MS, updatedAt: null };
  }
  return {
    source: 'environment',
    provider: config.kind,
    baseUrl: config.baseUrl ?? null,
    model: config.model,
    apiKeySet: Boolean(config.apiKey),
    timeoutMs: config.timeoutMs,
    updatedAt: null,
  };
}

function timeoutOf(config: LlmConfig): number {
  return config.kind === 'offline' ? DEFAULT_TIMEOUT_MS : config.timeoutMs;
}

function required(value: string | null): string {
  if (value === null) throw new Error('the stored LLM settings are incomplete');
  return value;
}
