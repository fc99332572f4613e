import { isAnalysisIntent, type Intent, type PlanStep } from '@tally/protocol';
import type { UsageAnalysis } from '../analysis/analyze-usage.js';
import { buildReport } from '../analysis/build-report.js';
import { fallbackReasonOrThrow, type LanguageModelClient, type LlmTool } from '../llm/language-model-client.js';
import type { PriceCatalog } from '../pricing/price-catalog.js';
import type { UsageStore } from '../usage/usage-store.js';
import type { PipelineResult } from '../runs/run-context.js';
import type { AgentRun, StepResult } from './agent-run.js';
import { createAnalystTools } from './analyst-tools.js';
import { lineChunks } from './answer-format.js';
import { focusStrategy, writeAnswerBody, writeOfflineAnswer, type AnswerFacts } from './answer-templates.js';
import type { UsageData } from './data-agent.js';
import { factFigures } from './fact-figures.js';
import { checkAnswerNumbers } from './number-check.js';
import type { Triage } from './triage.js';

export interface ReportingInput {
  triage: Triage;
  data: UsageData;
  analysis: UsageAnalysis;
  plan: PlanStep[];
}

/** Model calls at most in a tool loop: room for a few rounds of tools, then the answer. */
export const MAX_TOOL_STEPS = 5;

const TOOL_PROMPT = [
  '',
  'You also have tools over the same records (summaries, the most expensive slices, what-if pricing on another model).',
  'Call them when the FACTS do not answer the question; numbers from their results may be used exactly as returned (rounded to cents at most).',
  'Do not call a tool for what the FACTS already say.',
].join('\n');

const SYSTEM_PROMPT = [
  "You are the reporting agent of Tally, which analyses a team's LLM usage to cut its AI spend.",
  "Answer the user's question in markdown from the FACTS, which Tally computed from the team's own records.",
  'Rules:',
  '- Use only numbers that appear in the FACTS, written exactly as there. Never compute, round, estimate or invent a number.',
  '- Recommend only what the FACTS recommend, in their order; keep their confidence and quality risk.',
  '- Keep savings without a model change apart from model switches, as the FACTS do; never add figures up yourself.',
  '- Answer only what was asked: if the FACTS have no Plan section, give no plan.',
  '- Answer the question first in one or two sentences, then the figures that support it, then the plan.',
  '- At most 250 words. No preamble.',
].join('\n');

/**
 * Writes the answer and the report. Offline: templates over the analysis. With an LLM: the LLM is
 * given the same template text as its facts and asked to explain them; its text is streamed as it
 * comes, any figure in it that is not in the facts is pointed out, and if it fails the offline
 * answer follows.
 */
export async function runReporting(
  run: AgentRun,
  deps: { llm: LanguageModelClient | null; usage: UsageStore; prices: PriceCatalog },
  input: ReportingInput,
): Promise<StepResult<PipelineResult>> {
  const intent = input.triage.intent;
  if (!isAnalysisIntent(intent)) throw new Error(`reporting answers analysis questions, not ${intent}`);
  const facts: AnswerFacts = {
    intent,
    depth: input.triage.depth,
    breakdown: input.triage.breakdown,
    analysis: input.analysis,
    plan: input.plan,
    scope: input.data.scope,
    notes: [...input.triage.notes, ...input.data.notes],
    hasPrefixData: input.data.prefixStats.length > 0,
    hasLimitData: input.data.outputStats.some((r) => r.limitedRequests > 0),
  };
  const report = (mode: 'offline' | 'llm') =>
    buildReport({ intent: facts.intent, analysis: input.analysis, plan: input.plan, mode, depth: facts.depth, focus: focusStrategy(facts.intent) });

  if (!deps.llm) {
    const answer = writeOfflineAnswer(facts);
    await run.deltas('reporting', lineChunks(answer));
    return { value: { answer, report: report('offline') }, summary: `offline answer, ${answer.length} characters` };
  }

  const body = writeAnswerBody(facts);
  // A question no fixed strategy answers gets tools over the records; the others, the facts alone.
  const withTools = usesTools(facts.intent);
  const toolResults: unknown[] = [];
  await run.thinking(
    'reporting',
    withTools
      ? `Asking ${deps.llm.modelId} to answer from the computed figures, with tools to query your records (at most ${MAX_TOOL_STEPS} model calls); it is told to use no other numbers.`
      : `Asking ${deps.llm.modelId} to explain the computed figures; it is told to use no other numbers.`,
  );
  let text = '';
  let failure: string | null = null;
  try {
    const request = {
      system: withTools ? SYSTEM_PROMPT + TOOL_PROMPT : SYSTEM_PROMPT,
      prompt: `Question: ${run.ctx.text}\n\nIntent: ${facts.intent}\n\nFACTS:\n${body}`,
      signal: run.signal,
      maxOutputTokens: 1200,
      feature: 'reporting',
    };
    const stream = withTools
      ? deps.llm.streamWithTools({
          ...request,
          tools: recordingResults(createAnalystTools(run, { agent: 'reporting', usage: deps.usage, prices: deps.prices }), toolResults),
          maxSteps: MAX_TOOL_STEPS,
          onInvalidToolCall: (call) => showInvalidToolCall(run, call),
        })
      : deps.llm.streamText(request);
    // Tokens that arrive together (a fast provider, a burst after a stall) come as one delta (the client joins them).
    for await (const delta of stream) {
      text += delta;
      await run.emit({ type: 'message_delta', data: { agent: 'reporting', text: delta } });
    }
    if (text.trim() === '') failure = 'the LLM returned no text';
  } catch (error) {
    if (run.signal.aborted) throw run.signal.reason;
    // A bad answer falls back to the template; no answer at all ends the run (LLM_TIMEOUT, LLM_UNAVAILABLE).
    failure = fallbackReasonOrThrow(error);
  }

  if (failure !== null) {
    await run.thinking('reporting', `The LLM answer failed (${failure}); writing the offline answer instead.`);
    const fallback = (text === '' ? '' : '\n\n---\n\n') + writeOfflineAnswer(facts);
    await run.deltas('reporting', lineChunks(fallback));
    const answer = text + fallback;
    return { value: { answer, report: report('offline') }, summary: `LLM failed; offline answer, ${answer.length} characters` };
  }

  // Every number of the LLM's text is checked where it stands: one in no fact, or a fact under the
  // wrong label, gets a footnote mark there and its reason below. The marks are in the final answer
  // (which replaces the streamed text); the reasons also stream, after the text.
  const checked = checkAnswerNumbers(text, { sources: [body, run.ctx.text, ...numbersOf(toolResults)], figures: factFigures(input.analysis, input.plan) });
  let answer = checked.marked;
  if (checked.findings.length > 0) {
    await run.thinking('reporting', `The LLM wrote ${checked.findings.length} number${checked.findings.length === 1 ? '' : 's'} the analysis does not back: ${checked.findings.map((f) => `${f.text} (${f.problem.replace(/_/g, ' ')})`).join(', ')}; each is marked in the answer.`);
    await run.deltas('reporting', [answer.slice(answer.lastIndexOf('\n\n[^1]:'))]);
  }
  // Models the catalog could not price are always flagged, whatever the LLM chose to say.
  const unpriced = input.analysis.breakdown.unpricedModels.filter((m) => !text.includes(m));
  if (unpriced.length > 0) {
    const note = `\n\n_Not priced: ${unpriced.join(', ')}. The price catalog does not know ${unpriced.length === 1 ? 'this model' : 'these models'}, so ${unpriced.length === 1 ? 'its' : 'their'} spend is not in the figures._\n`;
    await run.deltas('reporting', [note]);
    answer += note;
  }
  return { value: { answer, report: report('llm') }, summary: `LLM answer, ${answer.length} characters` };
}

/**
 * Whether the LLM answers with tools: a general question, which no fixed strategy or breakdown
 * answers (cost analysis and latency have their breakdowns; the others their strategy).
 */
export function usesTools(intent: Intent): boolean {
  return intent === 'general';
}

/** The same tools, each result also kept for the number check. */
function recordingResults(tools: Record<string, LlmTool<unknown>>, sink: unknown[]): Record<string, LlmTool<unknown>> {
  return Object.fromEntries(
    Object.entries(tools).map(([name, t]) => [
      name,
      {
        ...t,
        execute: async (input: unknown, call: { toolCallId: string }) => {
          const result = await t.execute(input, call);
          sink.push(result);
          return result;
        },
      },
    ]),
  );
}

/** A tool call whose input its schema refused: shown as a failed tool call; the model is told and goes on. */
async function showInvalidToolCall(run: AgentRun, call: { toolCallId: string; toolName: string; input: unknown; error: string }): Promise<void> {
  const args = typeof call.input === 'object' && call.input !== null ? call.input : { input: call.input };
  await run.emit({ type: 'tool_executing', data: { agent: 'reporting', toolCallId: call.toolCallId, tool: call.toolName, args } });
  await run.emit({
    type: 'tool_completed',
    data: { agent: 'reporting', toolCallId: call.toolCallId, tool: call.toolName, args, result: null, durationMs: 0, error: `invalid arguments: ${call.error}` },
  });
}

/** Every number in the tool results, as computed and as a person would round it (cents, whole). */
function numbersOf(results: unknown[]): string[] {
  const out: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'number' && Number.isFinite(value)) out.push(String(value), value.toFixed(2), String(Math.round(value)), (value * 100).toFixed(1));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(walk);
  };
  results.forEach(walk);
  return out.length > 0 ? [out.join(' ')] : [];
}
