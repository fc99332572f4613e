import type { PlanStep } from '@tally/protocol';
import type { UsageAnalysis } from '../analysis/analyze-usage.js';
import { buildPlan } from '../analysis/build-plan.js';
import type { AgentRun, StepResult } from './agent-run.js';

/** Turns the recommendations into an ordered plan: most saving per unit of effort first. */
export async function runActions(run: AgentRun, analysis: UsageAnalysis): Promise<StepResult<PlanStep[]>> {
  const plan = buildPlan(analysis.recommendations);
  const first = plan[0];
  if (first) await run.thinking('actions', `First step: ${first.action}`);
  return { value: plan, summary: `${plan.length} step${plan.length === 1 ? '' : 's'} in the plan` };
}
