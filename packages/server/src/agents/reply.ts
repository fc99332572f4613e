import type { PipelineResult } from '../runs/run-context.js';
import type { AgentRun, StepResult } from './agent-run.js';
import { lineChunks } from './answer-format.js';
import { writeGreeting, writeOffTopicReply } from './conversation-replies.js';
import type { Triage } from './triage.js';

/** The reply to a greeting or an off-topic message: short, from templates, with no analysis and no report. */
export async function runReply(run: AgentRun, triage: Triage): Promise<StepResult<PipelineResult>> {
  const answer = triage.intent === 'greeting' ? writeGreeting(triage.overview) : writeOffTopicReply();
  await run.deltas('reporting', lineChunks(answer));
  return { value: { answer, report: null }, summary: `${triage.intent === 'greeting' ? 'greeting' : 'off-topic'} reply, ${answer.length} characters` };
}
