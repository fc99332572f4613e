import { leastConfidence, type AnalysisIntent, type BreakdownRow, type Intent, type PlanStep, type Recommendation, type StrategyName } from '@tally/protocol';
import type { UsageAnalysis } from '../analysis/analyze-usage.js';
import { formatInt, formatPct, formatUsd } from '../analysis/format.js';
import { ratio } from '../analysis/round.js';
import { recommendationBlock, table } from './answer-format.js';
import type { BreakdownDimension } from './request-shape.js';

/** Everything an answer may say; every figure in it comes from `analysis`. */
export interface AnswerFacts {
  intent: AnalysisIntent;
  /** `full`: the report and plan; `focused`: only the part the question is about. */
  depth: 'full' | 'focused';
  /** The one breakdown a cost question names, if any (a focused cost answer shows only it). */
  breakdown?: BreakdownDimension | null;
  analysis: UsageAnalysis;
  plan: PlanStep[];
  /** What the analysis was narrowed to, e.g. `the last 7 days`, `project support`. */
  scope: string[];
  /** Things the reader must know: a range with no data that was widened, a filter dropped. */
  notes: string[];
  /** Whether records carried prompt-prefix hashes and output limits at all. */
  hasPrefixData: boolean;
  hasLimitData: boolean;
}

export const OFFLINE_LABEL =
  '> **Offline mode**: no LLM is configured, so Tally wrote this answer from templates over your data. Every figure is computed from your records.';

const TITLES: Record<AnalysisIntent, string> = {
  cost_analysis: 'Where your AI money goes',
  caching: 'Prompt caching',
  model_choice: 'Cheaper models for the same work',
  batching: 'Batch APIs for traffic nobody waits on',
  latency: 'Latency',
  errors: 'Errors, retries and timeouts',
  general: 'Your AI spend and how to cut it',
};

/** The strategy an intent is about, if any. */
export function focusStrategy(intent: Intent): StrategyName | null {
  switch (intent) {
    case 'caching':
      return 'prompt_caching';
    case 'model_choice':
      return 'cheaper_model';
    case 'batching':
      return 'batch_api';
    case 'errors':
      return 'error_waste';
    case 'cost_analysis':
    case 'latency':
    case 'general':
    case 'greeting':
    case 'off_topic':
      return null;
    default: {
      const never: never = intent;
      throw new Error(`unknown intent ${String(never)}`);
    }
  }
}

/** The offline answer: the label, then the same body the LLM is given as its facts. */
export function writeOfflineAnswer(facts: AnswerFacts): string {
  return `${OFFLINE_LABEL}\n\n${writeAnswerBody(facts)}`;
}

/**
 * The answer's markdown body, shaped by the intent and the depth. Focused: the overview line and
 * the part asked about. Full: that part first, then the savings headline split by quality risk, the
 * plan, and what was found that saves no money.
 */
export function writeAnswerBody(facts: AnswerFacts): string {
  const lines: string[] = [`## ${TITLES[facts.intent]}`, '', ...overview(facts), ''];
  for (const note of facts.notes) lines.push(`> ${note}`, '');
  lines.push(...intentSection(facts));
  if (facts.depth === 'full') {
    lines.push(...savingsHeadline(facts));
    lines.push(...planSection(facts));
    lines.push(...findingsSection(facts));
  } else {
    lines.push('_This answers what you asked. Ask for "the full report" to see every saving Tally found and the plan._', '');
  }
  const unpriced = facts.analysis.breakdown.unpricedModels;
  if (unpriced.length > 0) {
    lines.push(
      `_Not priced: ${unpriced.join(', ')} (${formatInt(facts.analysis.breakdown.totals.unpricedRequests)} requests). ` +
        `The price catalog does not know these models, so their spend is not in the figures above._`,
      '',
    );
  }
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

function overview(facts: AnswerFacts): string[] {
  const { period, totals, projection } = facts.analysis.breakdown;
  const span = period ? `From ${period.from} to ${period.to} (${formatInt(period.days)} day${period.days === 1 ? '' : 's'})` : 'In your data';
  const scope = facts.scope.length > 0 ? ` for ${facts.scope.join(', ')}` : '';
  if (projection?.rough) {
    // Under a week of data: the period's own figures first; a month from it is an extrapolation, said so.
    return [
      `${span}${scope}: **${formatUsd(totals.costUsd)}** over ${formatInt(totals.requests)} requests in ${coveredText(projection.hours)} of data. ` +
        `${formatPct(totals.errorRate)} of requests failed. That is under a week, so monthly figures here are rough: ` +
        `about ${formatUsd(totals.monthlyCostUsd)} per 30 days if every week looked like this one.`,
    ];
  }
  return [
    `${span}${scope}: **${formatUsd(totals.costUsd)}** over ${formatInt(totals.requests)} requests, ` +
      `about **${formatUsd(totals.monthlyCostUsd)} per 30 days**. ` +
      `${formatPct(totals.errorRate)} of requests failed.`,
  ];
}

/** The time the data covers, as a person says it. */
function coveredText(hours: number): string {
  return hours < 48 ? `${formatInt(hours)} hour${Math.round(hours) === 1 ? '' : 's'}` : `${(hours / 24).toFixed(1)} days`;
}

function intentSection(facts: AnswerFacts): string[] {
  const { breakdown } = facts.analysis;
  switch (facts.intent) {
    case 'cost_analysis': {
      const tables: Array<[BreakdownDimension, string, string, readonly BreakdownRow[]]> = [
        ['model', 'By model', 'Model', breakdown.byModel],
        ['project', 'By project', 'Project', breakdown.byProject],
        ['feature', 'By feature', 'Feature', breakdown.byFeature],
        ['day', 'By day', 'Day', breakdown.byDay],
      ];
      // The breakdown asked for; else the three that say where the money goes (by day is the chart's).
      const asked = facts.breakdown ?? null;
      const shown = tables.filter(([dimension]) => (asked ? dimension === asked : dimension !== 'day'));
      return shown.flatMap(([dimension, heading, what, rows]) => [`### ${heading}`, '', ...costTable(what, rows, dimension === 'day' ? 31 : 8), '']);
    }
    case 'general':
      return ['### Top models', '', ...costTable('Model', breakdown.byModel.slice(0, 3)), ''];
    case 'latency':
      return latencySection(facts);
    case 'caching':
    case 'model_choice':
    case 'batching':
    case 'errors':
      return focusSection(facts);
    default: {
      const never: never = facts.intent;
      throw new Error(`unknown intent ${String(never)}`);
    }
  }
}

function costTable(what: string, rows: readonly BreakdownRow[], limit = 8): string[] {
  const shown = rows.slice(0, limit);
  const lines = table(
    [what, 'Requests', 'Cost', 'Share'],
    shown.map((r) => [r.key, formatInt(r.requests), formatUsd(r.costUsd), formatPct(r.share)]),
  );
  if (rows.length > limit) lines.push('', `_and ${rows.length - limit} more in the report._`);
  return lines;
}

function latencySection(facts: AnswerFacts): string[] {
  const { latencyByModel, latencyByFeature, totals } = facts.analysis.breakdown;
  if (latencyByModel.length === 0) {
    return ['Your records carry no `latencyMs`, so Tally cannot measure latency. Add it to each record to see it here.', ''];
  }
  return [
    '### Mean latency by model',
    '',
    ...table(['Model', 'Requests', 'Mean latency'], latencyByModel.map((r) => [r.key, formatInt(r.requests), `${formatInt(r.meanLatencyMs)} ms`])),
    '',
    '### Slowest features',
    '',
    ...table(['Project/feature', 'Requests', 'Mean latency'], latencyByFeature.slice(0, 5).map((r) => [r.key, formatInt(r.requests), `${formatInt(r.meanLatencyMs)} ms`])),
    '',
    `${formatInt(totals.timeoutRequests)} requests timed out.`,
    '',
  ];
}

function focusSection(facts: AnswerFacts): string[] {
  const strategy = focusStrategy(facts.intent);
  if (!strategy) return [];
  const recs = facts.analysis.byStrategy[strategy];
  const lines: string[] = [];
  if (facts.intent === 'errors') {
    const t = facts.analysis.breakdown.totals;
    lines.push(
      `${formatInt(t.failedRequests)} requests failed (${formatInt(t.failedRequests - t.timeoutRequests)} errors, ` +
        `${formatInt(t.timeoutRequests)} timeouts) and ${formatInt(t.retries)} were retries.`,
      '',
    );
  }
  if (facts.intent === 'caching') {
    const t = facts.analysis.breakdown.totals;
    const input = t.inputTokens + t.cacheReadTokens + t.cacheWriteTokens;
    lines.push(`${formatPct(ratio(t.cacheReadTokens, input))} of your input tokens were already read from a prompt cache.`, '');
  }
  if (recs.length === 0) return [...lines, noFinding(facts), ''];
  if (recs.length > 1) {
    // One recommendation per slice and strategy: the slices are disjoint, so these savings add up.
    const total = recs.reduce((t, r) => t + r.projectedMonthlySavingUsd, 0);
    lines.push(`In all, about **${formatUsd(total)}/month** over ${recs.length} parts of your traffic (confidence ${leastConfidence(recs)}).`, '');
  }
  recs.forEach((rec, i) => lines.push(...recommendationBlock(rec, i + 1)));
  return lines;
}

/** Why a focused strategy found nothing, without inventing a figure. */
function noFinding(facts: AnswerFacts): string {
  switch (facts.intent) {
    case 'caching':
      return facts.hasPrefixData
        ? 'No repeated prompt prefix would save at least $1 a month and 1% of your spend: the prefixes are short (under 1,024 tokens), already cached, or called too rarely to keep a cache warm.'
        : 'Your records carry no `promptPrefixHash` and `prefixTokens`, so Tally cannot see repeated prompt prefixes. Add a hash of each request\'s stable prefix (system prompt, tools) and its token count to see what caching would save.';
    case 'model_choice':
      return 'No cheaper model of a comparable tier would save at least $1 a month and 1% of your spend on your current traffic.';
    case 'batching':
      return 'No non-interactive traffic outside a batch API costs enough to matter. Records default to `interactive: true`; mark jobs nobody waits on with `interactive: false` so Tally can find them.';
    case 'errors':
      return 'Failed calls cost less than $1 a month and 1% of your spend: nothing worth chasing for money.';
    default:
      return '';
  }
}

/**
 * The headline, split: savings that leave answers as they are apart from what switching models adds,
 * each with its confidence; both combined in sequence on the same traffic, never added up.
 */
function savingsHeadline(facts: AnswerFacts): string[] {
  const { savings, breakdown } = facts.analysis;
  const monthly = breakdown.totals.monthlyCostUsd;
  const lines: string[] = [];
  if (savings.withoutModelChange.recommendations > 0) {
    lines.push(
      `- **Without changing models: about ${formatUsd(savings.withoutModelChange.monthlySavingUsd)}/month** ` +
        `(confidence ${savings.withoutModelChange.confidence}): caching, batch APIs, failed calls and limits; answers stay the same.`,
    );
  }
  if (savings.modelSwitches.recommendations > 0) {
    lines.push(
      `- **Switching models: about ${formatUsd(savings.modelSwitches.monthlySavingUsd)}/month more** ` +
        `(confidence ${savings.modelSwitches.confidence}), only after a quality check on a sample of your requests.`,
    );
  }
  if (lines.length === 0) return [];
  return [
    '### Savings',
    '',
    ...(breakdown.projection?.rough ? ['_Rough: projected from under a week of data._', ''] : []),
    ...lines,
    '',
    `Together about ${formatUsd(savings.combinedMonthlySavingUsd)}/month, ${formatPct(ratio(savings.combinedMonthlySavingUsd, monthly))} of your monthly spend: ` +
      'each change is applied after the others on the same traffic (caching after a switch at the new model\'s prices), not added up.',
    '',
  ];
}

function planSection(facts: AnswerFacts): string[] {
  const { plan } = facts;
  if (plan.length === 0) {
    return ['### Plan', '', 'No change would save at least $1 a month and 1% of your spend; your usage looks efficient on what Tally can measure.', ''];
  }
  const byId = new Map(facts.analysis.recommendations.map((r) => [r.id, r]));
  return ['### Plan', '', ...plan.map((step) => planLine(step, byId.get(step.recommendationId))), ''];
}

/** One plan step with its saving and, beside it, how sure it is and what it risks. */
function planLine(step: PlanStep, rec: Recommendation | undefined): string {
  const confidence = step.confidence ?? rec?.confidence;
  const risk = step.qualityRisk ?? rec?.qualityRisk;
  const parts = [
    `about ${formatUsd(step.projectedMonthlySavingUsd)}/month`,
    confidence ? `confidence ${confidence}` : null,
    `effort ${step.effort}`,
    risk ? `quality risk ${risk}` : null,
    step.group === 'model_switch' ? 'check quality first' : null,
  ];
  return `${step.order}. ${step.action} (${parts.filter((p) => p !== null).join(', ')})`;
}

/** What the analysis found that saves no money: said once, apart, never with a saving. */
function findingsSection(facts: AnswerFacts): string[] {
  const findings = facts.analysis.findings;
  if (findings.length === 0) return [];
  return ['### Also found (no money to save)', '', ...findings.map((f) => `- ${f.title}: no direct saving; see the report for why it still matters.`), ''];
}
