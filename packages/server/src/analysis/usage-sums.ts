/** The counters every roll-up of usage rows adds up, whatever it groups by. */
export interface UsageSums {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

export const emptyUsageSums = (): UsageSums => ({ requests: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 });

/** Adds a row's counters into a roll-up, in place. */
export function addUsageSums(target: UsageSums, row: Readonly<UsageSums>): void {
  target.requests += row.requests;
  target.inputTokens += row.inputTokens;
  target.outputTokens += row.outputTokens;
  target.cacheReadTokens += row.cacheReadTokens;
  target.cacheWriteTokens += row.cacheWriteTokens;
  target.costUsd += row.costUsd;
}
