import type { PlanStep } from '@tally/protocol';
import type { UsageAnalysis } from '../analysis/analyze-usage.js';
import { buildReport } from '../analysis/build-report.js';
import type { LanguageModelClient } from '../llm/language-model-client.js';
import type { PipelineResult } from '../runs/run-context.js';
import type { AgentRun, StepResult } from './agent-run.js';
import { lineChunks } from './answer-format.js';
import { writeAnswerBody, writeOfflineAnswer, type AnswerFacts } from './answer-templates.js';
import type { UsageData } from './data-agent.js';
import { unverifiedNumbers } from './number-check.js';
import type { Triage } from './triage.js';

export interface ReportingInput {
  triage: Triage;
  data: UsageData;
  analysis: UsageAnalysis;
  plan: PlanStep[];
}

const SYSTEM_PROMPT = [
  "You are the reporting agent of Tally, which analyses a team's LLM usage to cut its AI spend.",
  "Answer the user's question in markdown from the FACTS, which Tally computed from the team's own records.",
  'Rules:',
  '- Use only numbers that appear in the FACTS, written exactly as there. Never compute, round, estimate or invent a number.',
  '- Recommend only what the FACTS recommend, in their order; keep their confidence and quality risk.',
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
  deps: { llm: LanguageModelClient | null },
  input: ReportingInput,
): Promise<StepResult<PipelineResult>> {
  const facts: AnswerFacts = {
    intent: input.triage.intent,
    analysis: input.analysis,
    plan: input.plan,
    scope: input.data.scope,
    notes: [...input.triage.notes, ...input.data.notes],
    hasPrefixData: input.data.prefixStats.length > 0,
    hasLimitData: input.data.outputStats.some((r) => r.limitedRequests > 0),
  };
  const report = (mode: 'offline' | 'llm') => buildReport({ intent: facts.intent, analysis: input.analysis, plan: input.plan, mode });

  if (!deps.llm) {
    const answer = writeOfflineAnswer(facts);
    await run.deltas('reporting', lineChunks(answer));
    return { value: { answer, report: report('offline') }, summary: `offline answer, ${answer.length} characters` };
  }

  const body = writeAnswerBody(facts);
  await run.thinking('reporting', `Asking ${deps.llm.modelId} to explain the computed figures; it is told to use no other numbers.`);
  let text = '';
  let failure: string | null = null;
  try {
    const stream = deps.llm.streamText({
      system: SYSTEM_PROMPT,
      prompt: `Question: ${run.ctx.text}\n\nIntent: ${facts.intent}\n\nFACTS:\n${body}`,
      signal: run.signal,
      maxOutputTokens: 1200,
    });
    for await (const delta of stream) {
      text += delta;
      await run.emit({ type: 'message_delta', data: { agent: 'reporting', text: delta } });
    }
    if (text.trim() === '') failure = 'the LLM returned no text';
  } catch (error) {
    if (run.signal.aborted) throw run.signal.reason;
    failure = error instanceof Error ? error.message : String(error);
  }

  if (failure !== null) {
    await run.thinking('reporting', `The LLM answer failed (${failure}); writing the offline answer instead.`);
    const fallback = (text === '' ? '' : '\n\n---\n\n') + writeOfflineAnswer(facts);
    await run.deltas('reporting', lineChunks(fallback));
    const answer = text + fallback;
    return { value: { answer, report: report('offline') }, summary: `LLM failed; offline answer, ${answer.length} characters` };
  }

  let answer = text;
  const unverified = unverifiedNumbers(text, body, run.ctx.text);
  if (unverified.length > 0) {
    await run.thinking('reporting', `The LLM wrote numbers that are not in the analysis: ${unverified.join(', ')}.`);
    const note = `\n\n_Note: ${unverified.join(', ')} in this answer did not come from Tally's analysis; the figures in the report are the computed ones._\n`;
    await run.deltas('reporting', [note]);
    answer += note;
  }
  return { value: { answer, report: report('llm') }, summary: `LLM answer, ${answer.length} characters` };
}
