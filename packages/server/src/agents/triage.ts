import { IntentSchema, isAnalysisIntent, type Intent } from '@tally/protocol';
import { z } from 'zod';
import { fallbackReasonOrThrow, type LanguageModelClient } from '../llm/language-model-client.js';
import type { TimeRange, UsageOverview } from '../usage/usage-store.js';
import type { AgentRun, StepResult } from './agent-run.js';
import { classifyRequest, type RequestClassification } from './classify-request.js';
import type { BreakdownDimension } from './request-shape.js';
import type { ThreadHistory } from './thread-history.js';
import { lastDays, startOfUtcDay, type NamedRange } from './time-range.js';
import type { UsageTools } from './usage-tools.js';

/** What triage decided about the request and the data it needs. */
export interface Triage {
  intent: Intent;
  /** Which classifier decided: the LLM, or the rules (offline, or the LLM failed). */
  source: 'rules' | 'llm';
  /** Models the message names. */
  mentionedModels: string[];
  /** The models of the user's data it names: the analysis is narrowed to them. */
  models: string[];
  project: string | null;
  range: TimeRange | undefined;
  rangeLabel: string | null;
  /** Overview of the data to analyse (the range's, or all of it). */
  overview: UsageOverview;
  /** False when there is no usage data at all: the data helper answers instead. */
  sufficient: boolean;
  /** Things the answer must say, e.g. that a range with no data was widened. */
  notes: string[];
  /**
   * `full`: the report and plan (asked for, a general question, or the thread's first analysis
   * question); `focused`: only the part the question is about.
   */
  depth: 'full' | 'focused';
  /** The one breakdown a cost question names, if any. */
  breakdown: BreakdownDimension | null;
  /** The question asks whether the provider's bill matches the logs (reconciliation-request.ts). */
  reconciliation: boolean;
}

const IsoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** The LLM's classification. Every field required, nullable instead of optional: strict JSON schema. */
export const LlmTriageSchema = z.object({
  intent: IntentSchema,
  models: z.array(z.string()),
  project: z.string().nullable(),
  timeRange: z
    .object({ lastDays: z.number().int().min(1).max(3660).nullable(), from: IsoDay.nullable(), to: IsoDay.nullable() })
    .nullable(),
});
export type LlmTriage = z.infer<typeof LlmTriageSchema>;

export async function runTriage(
  run: AgentRun,
  deps: { tools: UsageTools; llm: LanguageModelClient | null; history?: ThreadHistory | undefined },
): Promise<StepResult<Triage>> {
  const all = await deps.tools.overview('triage');
  const now = run.now();
  const rules = classifyRequest(run.ctx.text, now, all.models);
  let classification = rules;
  let source: Triage['source'] = 'rules';
  if (!deps.llm) {
    await run.thinking('triage', 'Offline mode: classifying the request with the rule-based classifier.');
  } else if (rules.certain) {
    // An LLM call is the dearest part of a run before its answer (a round trip, its parse, its
    // usage record): a question the rules read surely does without it.
    await run.thinking('triage', 'Classified by the rules: the question names one kind of analysis and nothing else to read; no LLM call needed.');
  } else {
    try {
      const answer = await deps.llm.generateObject({
        system: triagePrompt(now, all.models),
        prompt: run.ctx.text,
        schema: LlmTriageSchema,
        name: 'triage',
        description: 'The classification of a question about LLM usage and cost',
        signal: run.signal,
        maxOutputTokens: 400,
        feature: 'triage',
      });
      classification = mergeLlmTriage(answer, rules, now);
      source = 'llm';
      await run.thinking('triage', `Classified by the LLM (${deps.llm.modelId}); the answer passed schema validation.`);
    } catch (error) {
      if (run.signal.aborted) throw run.signal.reason;
      // A malformed answer falls back to the rules; no answer at all ends the run (LLM_TIMEOUT, LLM_UNAVAILABLE).
      const reason = fallbackReasonOrThrow(error);
      await run.thinking('triage', `The LLM classification failed (${reason}); fell back to the rule-based classifier.`);
    }
  }

  const notes: string[] = [];
  let range: TimeRange | undefined = classification.timeRange?.range;
  let rangeLabel = classification.timeRange?.label ?? null;
  let overview = all;
  if (range && all.records > 0) {
    overview = await deps.tools.overview('triage', range);
    if (overview.records === 0) {
      notes.push(`You have no usage in ${rangeLabel}, so this covers all your data (${all.from?.slice(0, 10)} to ${all.to?.slice(0, 10)}) instead.`);
      range = undefined;
      rangeLabel = null;
      overview = all;
    }
  }
  const models = modelsInData(classification.models, overview.models);
  if (classification.models.length > 0 && models.length === 0 && classification.intent !== 'model_choice') {
    notes.push(`None of the models you named (${classification.models.join(', ')}) is in your data, so this covers all models.`);
  }
  const depth = await answerDepth(run, deps.history, classification);
  const triage: Triage = {
    depth,
    breakdown: classification.breakdown,
    reconciliation: classification.reconciliation,
    intent: classification.intent,
    source,
    mentionedModels: classification.models,
    models,
    project: classification.project,
    range,
    rangeLabel,
    overview,
    sufficient: all.records > 0,
    notes,
  };
  const parts = [
    `intent ${triage.intent} (${source})`,
    triage.reconciliation ? 'bill against logs' : null,
    isAnalysisIntent(triage.intent) ? `${depth} answer` : null,
    models.length > 0 ? `models ${models.join(', ')}` : null,
    triage.project ? `project ${triage.project}` : null,
    rangeLabel ? `range ${rangeLabel}` : null,
    triage.sufficient ? `${overview.records} records` : 'no usage data',
  ];
  return { value: triage, summary: parts.filter((p) => p !== null).join('; ') };
}

/**
 * How much of the analysis the answer gives: everything when the message asks for it or asks what
 * to do overall (general), or when no earlier question of the thread was an analysis question
 * (the first one gets the full report once); else the part the question is about.
 */
async function answerDepth(run: AgentRun, history: ThreadHistory | undefined, c: RequestClassification): Promise<Triage['depth']> {
  if (!isAnalysisIntent(c.intent)) return 'focused';
  if (c.wantsFullReport || c.intent === 'general') return 'full';
  const earlier = history && !run.ctx.firstInThread ? await history.earlierQuestions({ ownerId: run.ownerId, threadId: run.ctx.threadId, runId: run.ctx.runId }) : [];
  const now = run.now();
  const answeredBefore = earlier.some((q) => isAnalysisIntent(classifyRequest(q, now).intent));
  await run.thinking(
    'triage',
    answeredBefore
      ? 'An earlier question in this thread already had the full report: answering only what this one asks.'
      : 'The first analysis question in this thread: the full report and plan follow the answer.',
  );
  return answeredBefore ? 'focused' : 'full';
}

function triagePrompt(now: Date, models: readonly string[]): string {
  return [
    "You classify a question about a team's LLM usage and cost, for Tally, which analyses that usage.",
    'intent: cost_analysis (where the money goes, breakdowns), caching (prompt caching of repeated prefixes),',
    'model_choice (cheaper models for the same work), batching (batch APIs for non-interactive traffic),',
    'latency (speed, response times), errors (errors, retries, timeouts, rate limits), general (overall savings, any other question about their usage),',
    'greeting (hello, thanks, what Tally can do), off_topic (anything not about their LLM usage, cost or Tally).',
    'models: the model ids the question names, lower case, [] if none. project: the project it names, else null.',
    `timeRange: null unless the question names one; lastDays for "last N days/weeks", else from/to as YYYY-MM-DD (both included). Today is ${now.toISOString().slice(0, 10)}.`,
    models.length > 0 ? `Models in the data: ${models.slice(0, 50).join(', ')}.` : '',
    'Reply with the JSON object only.',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/** The LLM's reading, completed by the rules where it names nothing the rules found. */
export function mergeLlmTriage(answer: LlmTriage, rules: RequestClassification, now: Date): RequestClassification {
  return {
    ...rules,
    intent: answer.intent,
    models: [...new Set([...answer.models.map((m) => m.trim().toLowerCase()).filter((m) => m !== ''), ...rules.models])].sort(),
    project: answer.project?.trim() || rules.project,
    timeRange: llmRange(answer.timeRange, now) ?? rules.timeRange,
  };
}

function llmRange(range: LlmTriage['timeRange'], now: Date): NamedRange | null {
  if (!range) return null;
  if (range.lastDays) return lastDays(range.lastDays, startOfUtcDay(now));
  const from = range.from ? Date.parse(`${range.from}T00:00:00Z`) : NaN;
  const to = range.to ? Date.parse(`${range.to}T00:00:00Z`) + 86_400_000 : NaN;
  if (Number.isNaN(from) && Number.isNaN(to)) return null;
  if (!Number.isNaN(from) && !Number.isNaN(to) && to <= from) return null;
  return {
    range: {
      ...(Number.isNaN(from) ? {} : { from: new Date(from).toISOString() }),
      ...(Number.isNaN(to) ? {} : { to: new Date(to).toISOString() }),
    },
    label: range.from && range.to ? `${range.from} to ${range.to}` : range.from ? `since ${range.from}` : `until ${range.to}`,
  };
}

/**
 * The data's model ids a mention matches: exactly, behind a provider prefix, or as a dated or
 * tagged snapshot (`gpt-4o` matches `gpt-4o-2024-08-06` and `openai/gpt-4o`, not `gpt-4o-mini`).
 */
export function modelsInData(mentioned: readonly string[], dataModels: readonly string[]): string[] {
  const patterns = mentioned.map((x) => new RegExp(`^(?:.*/)?${x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:$|-\\d|-latest|@|:)`));
  return dataModels.filter((model) => patterns.some((p) => p.test(model.toLowerCase())));
}
