import { addUsageSums } from './usage-sums.js';
import type { UsageAggregateRow } from '../usage/usage-store.js';

/**
 * A traffic slice is the unit a recommendation is about: one model inside one project and feature.
 * Every strategy keys its recommendations by the same slice, so savings on the same traffic can be
 * combined instead of double-counted (see combinedMonthlySaving).
 */
export interface TrafficSlice {
  key: string;
  model: string;
  /** The first provider the rows name, or null when none does. */
  provider: string | null;
  project: string;
  feature: string;
  requests: number;
  retries: number;
  /** Requests with status error or timeout. */
  failedRequests: number;
  timeoutRequests: number;
  failedCostUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  reasoningTokens: number;
  costUsd: number;
  unpricedRequests: number;
  /** Non-interactive requests not already sent through a batch API, and their cost. */
  batchableRequests: number;
  batchableCostUsd: number;
  rows: UsageAggregateRow[];
}

export function sliceKey(model: string, project: string, feature: string): string {
  return `${project}/${feature}/${model}`;
}

/** How a slice is named in a recommendation's `scope`. */
export function sliceScope(slice: { model: string; project: string; feature: string }): string {
  return `project=${slice.project} feature=${slice.feature} model=${slice.model}`;
}

/** Groups aggregate rows into slices, largest spend first (ties by key, for stable output). */
export function groupSlices(rows: readonly UsageAggregateRow[]): TrafficSlice[] {
  const slices = new Map<string, TrafficSlice>();
  for (const row of rows) {
    const key = sliceKey(row.model, row.project, row.feature);
    let slice = slices.get(key);
    if (!slice) {
      slice = emptySlice(key, row);
      slices.set(key, slice);
    }
    addRow(slice, row);
  }
  return [...slices.values()].sort((a, b) => b.costUsd - a.costUsd || a.key.localeCompare(b.key));
}

function emptySlice(key: string, row: UsageAggregateRow): TrafficSlice {
  return {
    key,
    model: row.model,
    provider: null,
    project: row.project,
    feature: row.feature,
    requests: 0,
    retries: 0,
    failedRequests: 0,
    timeoutRequests: 0,
    failedCostUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    unpricedRequests: 0,
    batchableRequests: 0,
    batchableCostUsd: 0,
    rows: [],
  };
}

function addRow(slice: TrafficSlice, row: UsageAggregateRow): void {
  slice.provider ??= row.provider;
  addUsageSums(slice, row);
  slice.retries += row.retries;
  if (row.status !== 'ok') {
    slice.failedRequests += row.requests;
    slice.failedCostUsd += row.costUsd;
  }
  if (row.status === 'timeout') slice.timeoutRequests += row.requests;
  slice.reasoningTokens += row.reasoningTokens;
  slice.unpricedRequests += row.unpricedRequests;
  if (!row.interactive && !row.batch) {
    slice.batchableRequests += row.requests;
    slice.batchableCostUsd += row.costUsd;
  }
  slice.rows.push(row);
}
