import type { AgentName } from '@tally/protocol';
import type { AnalysisReads, OutputStatRow, PrefixStatRow, TimeRange, UsageAggregateRow, UsageOverview, UsageStore } from '../usage/usage-store.js';
import { roundUsd } from '../analysis/round.js';
import type { AgentRun } from './agent-run.js';

/**
 * The named tools agents use to read the usage store. Each is a fixed, parameterised, owner-scoped
 * query (the owner comes from the run, never from the message or an LLM); its event shows the
 * arguments and a summary of the result, not the rows.
 */
export interface UsageTools {
  overview(agent: AgentName, range?: TimeRange): Promise<UsageOverview>;
  aggregate(agent: AgentName, range?: TimeRange): Promise<UsageAggregateRow[]>;
  prefixStats(agent: AgentName, range?: TimeRange): Promise<PrefixStatRow[]>;
  outputStats(agent: AgentName, range?: TimeRange): Promise<OutputStatRow[]>;
}

export function createUsageTools(run: AgentRun, store: UsageStore): UsageTools {
  // The usage store's owner is a workspace: the run's, never the asking user's id.
  const owner = run.workspaceId;
  const args = (range?: TimeRange) => ({ from: range?.from ?? null, to: range?.to ?? null });
  // The data step asks for the three analysis reads of one range in a row: where the store reads
  // them in one round trip, the first tool call makes it and the next two take their part. Each
  // tool still shows as the call it is.
  let together: { range: string; reads: Promise<AnalysisReads> } | undefined;
  // The usage version this run's whole-history overview was read at: the data step's reads of the
  // same version, where the node kept them, then cost no statement (usage-store.ts).
  let seenVersion: string | null = null;
  const analysisRead = <K extends keyof AnalysisReads>(part: K, range: TimeRange | undefined, alone: () => Promise<AnalysisReads[K]>): Promise<AnalysisReads[K]> => {
    const readTogether = store.analysisReads?.bind(store);
    if (!readTogether) return alone();
    const key = JSON.stringify(args(range));
    if (together?.range !== key) together = { range: key, reads: readTogether(owner, range, seenVersion) };
    return together.reads.then((reads) => reads[part]);
  };
  const overview = async (range: TimeRange | undefined): Promise<UsageOverview> => {
    if (range || !store.versionedOverview) return store.overview(owner, range);
    const read = await store.versionedOverview(owner);
    seenVersion = read.version;
    return read.overview;
  };
  return {
    overview: (agent, range) =>
      run.tool(agent, 'usage_overview', args(range), () => overview(range), (o) => ({
        records: o.records,
        from: o.from,
        to: o.to,
        models: o.models.slice(0, 20),
        modelCount: o.models.length,
      })),
    aggregate: (agent, range) =>
      run.tool(agent, 'usage_aggregate', args(range), () => analysisRead('rows', range, () => store.aggregate(owner, range)), (rows) => ({
        rows: rows.length,
        requests: rows.reduce((t, r) => t + r.requests, 0),
        costUsd: roundUsd(rows.reduce((t, r) => t + r.costUsd, 0)),
        days: new Set(rows.map((r) => r.day)).size,
      })),
    prefixStats: (agent, range) =>
      run.tool(agent, 'usage_prefix_stats', args(range), () => analysisRead('prefixStats', range, () => store.prefixStats(owner, range)), (rows) => ({
        repeatedPrefixes: rows.length,
        requests: rows.reduce((t, r) => t + r.requests, 0),
      })),
    outputStats: (agent, range) =>
      run.tool(agent, 'usage_output_stats', args(range), () => analysisRead('outputStats', range, () => store.outputStats(owner, range)), (rows) => ({
        groups: rows.length,
        requestsWithLimit: rows.reduce((t, r) => t + r.limitedRequests, 0),
      })),
  };
}
