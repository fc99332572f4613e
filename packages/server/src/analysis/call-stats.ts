import type { ModelLatency, UsageCallStats } from '@tally/protocol';
import type { RawUserSpend } from '../usage/usage-explorer.js';
import { ratio, roundUsd } from './round.js';

/**
 * GET /v1/workspaces/:workspaceId/usage/call-stats from the explorer's raw reads. Pure. Rounding, shares and order are
 * done here once, so both stores' answers (whose float steps differ in the last bits) read alike.
 */
export function buildCallStats(latency: readonly ModelLatency[], spend: readonly RawUserSpend[]): UsageCallStats {
  const total = spend.reduce((sum, r) => sum + r.costUsd, 0);
  return {
    latencyByModel: latency
      .map((r) => ({ model: r.model, calls: r.calls, p50Ms: roundMs(r.p50Ms), p95Ms: roundMs(r.p95Ms) }))
      .sort((a, b) => byteOrder(a.model, b.model)),
    byUser: spend
      .map((r) => ({ user: r.user, requests: r.requests, costUsd: roundUsd(r.costUsd), share: ratio(r.costUsd, total) }))
      .sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests || byteOrder(a.user ?? '', b.user ?? '')),
  };
}

/** To a microsecond: below that the engines' interpolation steps differ. */
function roundMs(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The order of COLLATE "C" (the stores' text order): UTF-8 bytes. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
