import type { PlantedId } from './planted-inefficiencies.js';

/**
 * The fictional company behind generated usage: "Acme Helpdesk", a SaaS help-desk vendor with a
 * support chatbot, RAG search over its docs, nightly document summaries, ticket tagging, an
 * internal code assistant and a nightly feedback job. Every model id is one genai-prices knows.
 * Five features carry a planted inefficiency (see planted-inefficiencies.ts); the others are
 * healthy, so an analysis that flags everything is as wrong as one that flags nothing. Each
 * feature's `clean` variant is the same company with no waste at all: the clean dataset.
 */
export interface FeatureProfile {
  project: string;
  feature: string;
  provider: string;
  model: string;
  /** How the provider's request ids start. */
  idPrefix: string;
  /** Share of a weekday's logical requests (the shares sum to 1). */
  share: number;
  /** Weekend volume relative to a weekday. */
  weekendFactor: number;
  /** office: a European + American working day in UTC; nightly: 01:00-03:59 UTC. */
  schedule: 'office' | 'nightly';
  interactive: boolean;
  batch: boolean;
  /** Input tokens beyond the stable prefix, drawn log-uniform in [min, max]. */
  inputTokens: readonly [number, number];
  outputTokens: readonly [number, number];
  maxOutputTokens?: number;
  /** A stable system prompt / tool block sent on every call; `cached` says whether the caller caches it. */
  prefix?: { hash: string; tokens: number; cached: boolean };
  /** First-token time drawn uniform in baseMs, plus generation time per output token. */
  latency: { baseMs: readonly [number, number]; perOutputTokenMs: number };
  /** Failed first attempts (rate), how many of them time out, and how often a retry fails again. */
  failures?: { rate: number; timeoutShare: number; timeoutMs: number; retryFailRate: number };
  /** End users are labelled `<prefix>-<n>`, n below count. */
  users?: { prefix: string; count: number };
  planted?: PlantedId;
  /**
   * The feature as a team with no waste would run it (`generateUsage({clean: true})`): its planted
   * waste fixed, and its model the cheapest one the tier table (analysis/model-tiers.ts) finds
   * credible for the work, so that no strategy has anything material to say.
   */
  clean?: Partial<Pick<FeatureProfile, 'model' | 'idPrefix' | 'batch' | 'maxOutputTokens' | 'prefix' | 'failures'>>;
}

/** Logical requests on an ordinary weekday across all features, before retries. */
export const DEFAULT_REQUESTS_PER_DAY = 2600;

/** Cache hits of a feature that caches its prefix; the misses write the cache. */
export const CACHE_HIT_RATE = 0.88;

export const ACME_FEATURES: readonly FeatureProfile[] = [
  {
    project: 'support',
    feature: 'chatbot',
    provider: 'anthropic',
    model: 'claude-sonnet-4-20250514',
    idPrefix: 'msg_01',
    share: 0.28,
    weekendFactor: 0.4,
    schedule: 'office',
    interactive: true,
    batch: false,
    inputTokens: [150, 2500],
    outputTokens: [60, 700],
    maxOutputTokens: 1024,
    // 3,400 tokens of policy, tone guide and tool schemas, never marked for caching.
    prefix: { hash: '5f1d7a0c9be24d31', tokens: 3400, cached: false },
    latency: { baseMs: [700, 1500], perOutputTokenMs: 12 },
    users: { prefix: 'cust', count: 400 },
    planted: 'uncached-prefix',
    clean: { model: 'claude-haiku-4-5', prefix: { hash: '5f1d7a0c9be24d31', tokens: 3400, cached: true } },
  },
  {
    project: 'search',
    feature: 'rag-answer',
    provider: 'openai',
    model: 'gpt-4.1',
    idPrefix: 'chatcmpl-',
    share: 0.17,
    weekendFactor: 0.3,
    schedule: 'office',
    interactive: true,
    batch: false,
    inputTokens: [2500, 7000],
    outputTokens: [120, 550],
    maxOutputTokens: 800,
    latency: { baseMs: [600, 1400], perOutputTokenMs: 14 },
    failures: { rate: 0.12, timeoutShare: 0.7, timeoutMs: 30_000, retryFailRate: 0.3 },
    users: { prefix: 'cust', count: 400 },
    planted: 'retries',
    clean: { model: 'gpt-4o-mini', failures: undefined },
  },
  {
    project: 'search',
    feature: 'query-rewrite',
    provider: 'google',
    model: 'gemini-2.5-flash',
    idPrefix: 'gen-',
    share: 0.17,
    weekendFactor: 0.3,
    schedule: 'office',
    interactive: true,
    batch: false,
    inputTokens: [250, 700],
    outputTokens: [20, 80],
    maxOutputTokens: 128,
    latency: { baseMs: [250, 600], perOutputTokenMs: 4 },
    clean: { model: 'gemini-2.5-flash-lite' },
  },
  {
    project: 'ops',
    feature: 'ticket-tagging',
    provider: 'openai',
    model: 'gpt-4o',
    idPrefix: 'chatcmpl-',
    share: 0.13,
    weekendFactor: 0.35,
    schedule: 'office',
    // The ticket router waits for the tag before it assigns the ticket.
    interactive: true,
    batch: false,
    // Instructions, the label list with examples, and the ticket itself.
    inputTokens: [800, 3000],
    outputTokens: [4, 18],
    maxOutputTokens: 20,
    latency: { baseMs: [350, 900], perOutputTokenMs: 10 },
    planted: 'cheaper-model',
    clean: { model: 'gpt-4o-mini' },
  },
  {
    project: 'dev',
    feature: 'code-assistant',
    provider: 'anthropic',
    model: 'claude-sonnet-4-20250514',
    idPrefix: 'msg_01',
    share: 0.1,
    weekendFactor: 0.08,
    schedule: 'office',
    interactive: true,
    batch: false,
    inputTokens: [300, 3000],
    outputTokens: [120, 1200],
    maxOutputTokens: 16_384,
    // Repository context, cached properly: the contrast to the chatbot.
    prefix: { hash: '9e07c2b4a1f85d66', tokens: 6000, cached: true },
    latency: { baseMs: [900, 2000], perOutputTokenMs: 13 },
    users: { prefix: 'dev', count: 25 },
    planted: 'oversized-output-limit',
    clean: { model: 'claude-haiku-4-5', maxOutputTokens: 2048 },
  },
  {
    project: 'support',
    feature: 'handoff-summary',
    provider: 'anthropic',
    model: 'claude-3-5-haiku-20241022',
    idPrefix: 'msg_01',
    share: 0.04,
    weekendFactor: 0.4,
    schedule: 'office',
    interactive: true,
    batch: false,
    inputTokens: [1200, 4000],
    outputTokens: [80, 260],
    maxOutputTokens: 400,
    latency: { baseMs: [400, 900], perOutputTokenMs: 7 },
  },
  {
    project: 'docs',
    feature: 'nightly-summaries',
    provider: 'openai',
    model: 'gpt-4o',
    idPrefix: 'chatcmpl-',
    share: 0.05,
    weekendFactor: 1,
    schedule: 'nightly',
    interactive: false,
    batch: false,
    inputTokens: [6000, 24_000],
    outputTokens: [300, 900],
    maxOutputTokens: 1200,
    latency: { baseMs: [900, 2500], perOutputTokenMs: 15 },
    planted: 'batchable',
    clean: { model: 'gpt-4o-mini', idPrefix: 'batch_req_', batch: true },
  },
  {
    project: 'analytics',
    feature: 'feedback-clustering',
    provider: 'openai',
    model: 'gpt-4o-mini',
    idPrefix: 'batch_req_',
    share: 0.06,
    weekendFactor: 1,
    schedule: 'nightly',
    interactive: false,
    batch: true,
    inputTokens: [2000, 5000],
    outputTokens: [200, 400],
    maxOutputTokens: 600,
    latency: { baseMs: [1000, 3000], perOutputTokenMs: 10 },
  },
];

/** Relative traffic per UTC hour. */
export const HOURLY_WEIGHTS: Record<FeatureProfile['schedule'], readonly number[]> = {
  office: [0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.4, 0.7, 0.95, 1, 1, 1, 0.95, 1, 1, 1, 0.95, 0.85, 0.7, 0.55, 0.45, 0.35, 0.25, 0.2],
  nightly: [0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
};
