import type { AgentName, BreakdownRow } from '@tally/protocol';
import { z } from 'zod';
import { computeCostBreakdown } from '../analysis/cost-breakdown.js';
import { listCostUsd } from '../analysis/list-cost.js';
import { ratio, roundUsd } from '../analysis/round.js';
import { groupSlices, type TrafficSlice } from '../analysis/traffic-slices.js';
import { defineTool, type LlmTool } from '../llm/language-model-client.js';
import type { PriceCatalog } from '../pricing/price-catalog.js';
import type { TimeRange, UsageAggregateRow, UsageStore } from '../usage/usage-store.js';
import type { AgentRun } from './agent-run.js';

/**
 * The tools an LLM may call to answer a free-form question: summaries, the most expensive slices,
 * and what-if pricing on another model. Every figure is computed here, by code, from the owner's
 * records and the price catalog; the model only chooses what to ask. Each tool closes over the
 * run's owner (its input cannot name a user), reads through a parameterised owner-scoped query,
 * has its input validated by its zod schema before it runs, and shows as a tool_executing /
 * tool_completed pair of the agent that runs it.
 */
export function createAnalystTools(run: AgentRun, deps: { agent: AgentName; usage: UsageStore; prices: PriceCatalog }): Record<string, LlmTool<unknown>> {
  const { agent, usage, prices } = deps;
  // The usage store's owner is a workspace: the run's, never the asking user's id.
  const owner = run.workspaceId;
  const rowsIn = (range: TimeRange | undefined) => usage.aggregate(owner, range);
  /** The call shows its validated input as args, and its whole (small) result. */
  const shown = <T>(name: string, input: Record<string, unknown>, call: () => Promise<T>) => run.tool(agent, name, input, call, (r) => r);

  return {
    usage_summary: defineTool({
      description:
        'Totals of LLM usage (requests, cost in USD, tokens, error rate, projection per 30 days) for a time range, ' +
        'optionally narrowed to one project and/or model, broken down by model, project, feature or day.',
      inputSchema: SummaryInput,
      execute: (input) =>
        shown('usage_summary', input, async () => {
          const rows = narrow(await rowsIn(rangeOf(input)), input);
          const breakdown = computeCostBreakdown(rows);
          const groups: Record<SummaryInput['groupBy'], BreakdownRow[]> = {
            model: breakdown.byModel,
            project: breakdown.byProject,
            feature: breakdown.byFeature,
            day: breakdown.byDay,
          };
          const t = breakdown.totals;
          return {
            period: breakdown.period,
            totals: {
              requests: t.requests,
              costUsd: roundUsd(t.costUsd),
              monthlyCostUsd: roundUsd(t.monthlyCostUsd),
              inputTokens: t.inputTokens,
              outputTokens: t.outputTokens,
              cacheReadTokens: t.cacheReadTokens,
              errorRate: t.errorRate,
              unpricedRequests: t.unpricedRequests,
            },
            groupBy: input.groupBy,
            rows: groups[input.groupBy].slice(0, input.limit).map(rowOut),
            moreRows: Math.max(0, groups[input.groupBy].length - input.limit),
            unpricedModels: breakdown.unpricedModels,
          };
        }),
    }),

    top_spend: defineTool({
      description:
        'The most expensive slices of usage for a time range: by slice (one model in one project and feature), model, project or feature, largest cost first.',
      inputSchema: TopInput,
      execute: (input) =>
        shown('top_spend', input, async () => {
          const rows = await rowsIn(rangeOf(input));
          const breakdown = computeCostBreakdown(rows);
          const total = breakdown.totals.costUsd;
          const ranked =
            input.by === 'slice'
              ? groupSlices(rows).map((s) => ({ key: s.key, model: s.model, project: s.project, feature: s.feature, requests: s.requests, costUsd: roundUsd(s.costUsd), share: ratio(s.costUsd, total) }))
              : { model: breakdown.byModel, project: breakdown.byProject, feature: breakdown.byFeature }[input.by].map(rowOut);
          return { period: breakdown.period, by: input.by, totalCostUsd: roundUsd(total), rows: ranked.slice(0, input.limit) };
        }),
    }),

    what_if_model: defineTool({
      description:
        'What a slice of usage would have cost on another model, priced by the price catalog on the same token volumes: ' +
        'the traffic of a project, feature and/or model in a time range, moved to `targetModel`.',
      inputSchema: WhatIfInput,
      execute: (input) =>
        shown('what_if_model', input, async () => {
          const rows = narrow(await rowsIn(rangeOf(input)), input);
          const at = run.now();
          const target = prices.modelPrices(input.targetModel, null, at);
          if (!target) return { error: `The price catalog does not know the model "${input.targetModel}"; no projection is possible.` };
          const factor = computeCostBreakdown(rows).monthlyFactor;
          let current = 0;
          let projected = 0;
          const unpriced: string[] = [];
          const slices = groupSlices(rows).map((s) => {
            const projection = projectSlice(s, target, prices, at);
            if (projection === null) {
              unpriced.push(s.key);
              return null;
            }
            current += s.costUsd;
            projected += projection;
            return { key: s.key, requests: s.requests, currentCostUsd: roundUsd(s.costUsd), projectedCostUsd: roundUsd(projection) };
          });
          return {
            targetModel: target.model,
            targetPricesPerMTok: { input: target.inputPerMTok, output: target.outputPerMTok, cacheRead: target.cacheReadPerMTok },
            requests: rows.reduce((n, r) => n + r.requests, 0),
            currentCostUsd: roundUsd(current),
            projectedCostUsd: roundUsd(projected),
            savingUsd: roundUsd(current - projected),
            monthlySavingUsd: roundUsd((current - projected) * factor),
            slices: slices.filter((s) => s !== null).slice(0, 10),
            notPriced: unpriced,
          };
        }),
    }),
  };
}

const IsoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD');
const RangeInput = {
  from: IsoDay.nullish().describe('First day, YYYY-MM-DD (UTC), included; null for the start of the data.'),
  to: IsoDay.nullish().describe('Last day, YYYY-MM-DD (UTC), included; null for the end of the data.'),
};
const Name = z.string().trim().min(1).max(200);

const SummaryInput = z.object({
  groupBy: z.enum(['model', 'project', 'feature', 'day']),
  ...RangeInput,
  project: Name.nullish().describe('Only this project.'),
  model: Name.nullish().describe('Only this model id.'),
  limit: z.number().int().min(1).max(50).default(20),
});
type SummaryInput = z.infer<typeof SummaryInput>;

const TopInput = z.object({
  by: z.enum(['slice', 'model', 'project', 'feature']).default('slice'),
  ...RangeInput,
  limit: z.number().int().min(1).max(20).default(5),
});

const WhatIfInput = z.object({
  targetModel: Name.describe('The model id to price the traffic on, e.g. gpt-4.1-mini.'),
  ...RangeInput,
  project: Name.nullish(),
  feature: Name.nullish(),
  model: Name.nullish().describe('Only the traffic currently on this model.'),
});

/** Inclusive UTC days to the store's half-open range. */
function rangeOf(input: { from?: string | null | undefined; to?: string | null | undefined }): TimeRange | undefined {
  if (!input.from && !input.to) return undefined;
  return {
    ...(input.from ? { from: `${input.from}T00:00:00.000Z` } : {}),
    ...(input.to ? { to: new Date(Date.parse(`${input.to}T00:00:00Z`) + 86_400_000).toISOString() } : {}),
  };
}

function narrow(rows: UsageAggregateRow[], by: { project?: string | null | undefined; feature?: string | null | undefined; model?: string | null | undefined }): UsageAggregateRow[] {
  const same = (a: string, b: string | null | undefined) => !b || a.toLowerCase() === b.toLowerCase();
  return rows.filter((r) => same(r.project, by.project) && same(r.feature, by.feature) && same(r.model, by.model));
}

function rowOut(r: BreakdownRow) {
  return { key: r.key, requests: r.requests, costUsd: roundUsd(r.costUsd), share: r.share };
}

/**
 * The slice's cost on the target model: its actual cost times the ratio of the two list costs of
 * its token volumes, as the cheaper-model strategy projects, so discounts it already gets carry
 * over. Null when the slice's own model has no price.
 */
function projectSlice(slice: TrafficSlice, target: NonNullable<ReturnType<PriceCatalog['modelPrices']>>, prices: PriceCatalog, at: Date): number | null {
  const current = prices.modelPrices(slice.model, slice.provider, at);
  if (!current) return null;
  const currentList = listCostUsd(current, slice);
  if (currentList <= 0) return 0;
  return (slice.costUsd * listCostUsd(target, slice)) / currentList;
}
