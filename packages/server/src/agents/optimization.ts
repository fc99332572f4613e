import { STRATEGY_NAMES, leastConfidence } from '@tally/protocol';
import { analyzeUsage, type UsageAnalysis } from '../analysis/analyze-usage.js';
import { formatUsd } from '../analysis/format.js';
import type { PriceCatalog } from '../pricing/price-catalog.js';
import type { AgentRun, StepResult } from './agent-run.js';
import { focusStrategy } from './answer-templates.js';
import type { UsageData } from './data-agent.js';
import { askedSpan } from './time-range.js';
import type { Triage } from './triage.js';

/** Runs the breakdown and every strategy over the data, and says what each one found. */
export async function runOptimization(
  run: AgentRun,
  deps: { prices: PriceCatalog },
  input: { triage: Triage; data: UsageData },
): Promise<StepResult<UsageAnalysis>> {
  const focus = focusStrategy(input.triage.intent);
  if (focus) await run.thinking('optimization', `The question is about ${focus}; running every strategy so the plan is complete.`);
  // A checkpoint written before readAt existed restores data without it.
  const at = input.data.readAt ? new Date(input.data.readAt) : run.now();
  const analysis = analyzeUsage({ ...input.data, prices: deps.prices, at, span: askedSpan(input.triage.range, at) });
  for (const name of STRATEGY_NAMES) {
    const recs = analysis.byStrategy[name];
    const saving = recs.reduce((t, r) => t + r.projectedMonthlySavingUsd, 0);
    await run.thinking(
      'optimization',
      recs.length === 0
        ? `${name}: nothing worth recommending.`
        : `${name}: ${recs.length} recommendation${recs.length > 1 ? 's' : ''}, ${formatUsd(saving)}/month in total (confidence ${leastConfidence(recs)}).`,
    );
  }
  const n = analysis.recommendations.length;
  const { savings } = analysis;
  return {
    value: analysis,
    summary:
      `${n} recommendation${n === 1 ? '' : 's'}: about ${formatUsd(savings.withoutModelChange.monthlySavingUsd)}/month without changing models ` +
      `(confidence ${savings.withoutModelChange.confidence}) and ${formatUsd(savings.modelSwitches.monthlySavingUsd)}/month more from model switches ` +
      `(confidence ${savings.modelSwitches.confidence}), of ${formatUsd(analysis.breakdown.totals.monthlyCostUsd)}/month spent`,
  };
}

