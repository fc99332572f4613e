/** The counters every roll-up of usage rows adds up, whatever it groups by. */
export interface UsageSums {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** 5-minute (or unknown-duration) cache writes. */
  cacheWriteTokens: number;
  /** 1-hour cache writes. */
  cacheWrite1hTokens: number;
  costUsd: number;
}

export const emptyUsageSums = (): UsageSums => ({ requests: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, costUsd: 0 });

/** Adds a row's counters into a roll-up, in place. */
export function addUsageSums(target: UsageSums, row: Readonly<UsageSums>): void {
  target.requests += row.requests;
  target.inputTokens += row.inputTokens;
  target.outputTokens += row.outputTokens;
  target.cacheReadTokens += row.cacheReadTokens;
  target.cacheWriteTokens += row.cacheWriteTokens;
  target.cacheWrite1hTokens += row.cacheWrite1hTokens;
  target.costUsd += row.costUsd;
}
