import type { BreakdownRow, Intent, PlanStep, StrategyName } from '@tally/protocol';
import type { UsageAnalysis } from '../analysis/analyze-usage.js';
import { formatInt, formatPct, formatUsd } from '../analysis/format.js';
import { ratio } from '../analysis/round.js';
import { recommendationBlock, table } from './answer-format.js';

/** Everything an answer may say; every figure in it comes from `analysis`. */
export interface AnswerFacts {
  intent: Intent;
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

const TITLES: Record<Intent, string> = {
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

/** The answer's markdown body, shaped by the intent. */
export function writeAnswerBody(facts: AnswerFacts): string {
  const lines: string[] = [`## ${TITLES[facts.intent]}`, '', ...overview(facts), ''];
  for (const note of facts.notes) lines.push(`> ${note}`, '');
  lines.push(...intentSection(facts));
  lines.push(...planSection(facts));
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
  const { period, totals } = facts.analysis.breakdown;
  const span = period ? `From ${period.from} to ${period.to} (${formatInt(period.days)} day${period.days === 1 ? '' : 's'})` : 'In your data';
  const scope = facts.scope.length > 0 ? ` for ${facts.scope.join(', ')}` : '';
  return [
    `${span}${scope}: **${formatUsd(totals.costUsd)}** over ${formatInt(totals.requests)} requests, ` +
      `about **${formatUsd(totals.monthlyCostUsd)} per 30 days**. ` +
      `${formatPct(totals.errorRate)} of requests failed.`,
  ];
}

function intentSection(facts: AnswerFacts): string[] {
  const { breakdown } = facts.analysis;
  switch (facts.intent) {
    case 'cost_analysis':
      return [
        '### By model',
        '',
        ...costTable('Model', breakdown.byModel),
        '',
        '### By project',
        '',
        ...costTable('Project', breakdown.byProject),
        '',
        '### By feature',
        '',
        ...costTable('Feature', breakdown.byFeature),
        '',
      ];
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

function planSection(facts: AnswerFacts): string[] {
  const { plan, analysis } = facts;
  if (plan.length === 0) {
    return ['### Plan', '', 'No change would save at least $1 a month and 1% of your spend; your usage looks efficient on what Tally can measure.', ''];
  }
  const byId = new Map(analysis.recommendations.map((r) => [r.id, r]));
  const monthly = analysis.breakdown.totals.monthlyCostUsd;
  return [
    '### Plan',
    '',
    ...plan.map((step) => {
      const rec = byId.get(step.recommendationId);
      const saving = step.projectedMonthlySavingUsd > 0 ? `about ${formatUsd(step.projectedMonthlySavingUsd)}/month` : 'no direct saving';
      return `${step.order}. ${step.action} (${saving}, effort ${step.effort}${rec ? `, quality risk ${rec.qualityRisk}` : ''})`;
    }),
    '',
    `All together: about **${formatUsd(analysis.totalProjectedMonthlySavingUsd)}/month**, ` +
      `${formatPct(ratio(analysis.totalProjectedMonthlySavingUsd, monthly))} of your monthly spend ` +
      '(savings on the same traffic are compounded, not added).',
    '',
  ];
}
