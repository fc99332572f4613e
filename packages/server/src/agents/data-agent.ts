import type { OutputStatRow, PrefixStatRow, UsageAggregateRow } from '../usage/usage-store.js';
import type { AgentRun, StepResult } from './agent-run.js';
import type { Triage } from './triage.js';
import type { UsageTools } from './usage-tools.js';

/** The usage data an analysis runs on, already narrowed to what the request asked about. */
export interface UsageData {
  rows: UsageAggregateRow[];
  prefixStats: PrefixStatRow[];
  outputStats: OutputStatRow[];
  /** What the data was narrowed to, for the answer. */
  scope: string[];
  notes: string[];
  /**
   * When it was read (ISO): the analysis is as of then, so a node that takes the run over and
   * recomputes the analysis from the checkpointed data gets the same figures.
   */
  readAt: string;
}

interface Sliceable {
  model: string;
  project: string;
}

/**
 * Reads the owner's usage through the named tools, then narrows it in code to the models and
 * project triage found (the store filters by owner and time only). A filter that would leave
 * nothing is dropped and the answer says so, rather than answering about no data.
 */
export async function runDataAgent(run: AgentRun, deps: { tools: UsageTools }, triage: Triage): Promise<StepResult<UsageData>> {
  const readAt = run.now().toISOString();
  const rows = await deps.tools.aggregate('data', triage.range);
  const prefixStats = await deps.tools.prefixStats('data', triage.range);
  const outputStats = await deps.tools.outputStats('data', triage.range);

  const scope: string[] = triage.rangeLabel ? [triage.rangeLabel] : [];
  const notes: string[] = [];
  const filters: Array<(r: Sliceable) => boolean> = [];
  if (triage.project) {
    const project = triage.project.toLowerCase();
    const keep = (r: Sliceable) => r.project.toLowerCase() === project;
    if (rows.some(keep)) {
      filters.push(keep);
      scope.push(`project ${triage.project}`);
    } else {
      notes.push(`No usage matched project "${triage.project}", so this covers all projects.`);
    }
  }
  if (triage.models.length > 0) {
    const models = new Set(triage.models);
    const keep = (r: Sliceable) => models.has(r.model);
    filters.push(keep);
    scope.push(`model${triage.models.length > 1 ? 's' : ''} ${triage.models.join(', ')}`);
  }
  if (filters.length > 0 && !rows.some((r) => filters.every((f) => f(r)))) {
    notes.push(`No usage matched ${scope.slice(triage.rangeLabel ? 1 : 0).join(' and ')} together, so this covers all of it.`);
    filters.length = 0;
    scope.length = triage.rangeLabel ? 1 : 0;
  }
  const kept = <T extends Sliceable>(list: T[]) => list.filter((r) => filters.every((f) => f(r)));
  const data: UsageData = { rows: kept(rows), prefixStats: kept(prefixStats), outputStats: kept(outputStats), scope, notes, readAt };
  if (filters.length > 0) {
    await run.thinking('data', `Narrowed to ${scope.join(', ')}: ${data.rows.length} of ${rows.length} aggregate rows.`);
  }
  return {
    value: data,
    summary: `${data.rows.length} aggregate rows, ${data.prefixStats.length} repeated prefixes, ${data.outputStats.length} output groups`,
  };
}
