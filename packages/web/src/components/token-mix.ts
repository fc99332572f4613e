/** The token buckets a bill prices apart, with the one set of labels the dashboard and the report share. */
export interface TokenMix {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  /** 5-minute (or unknown-duration) cache writes. */
  cacheWriteTokens: number;
  /** 1-hour cache writes; absent in reports stored before they were counted apart. */
  cacheWrite1hTokens?: number | undefined;
  /** Reasoning tokens: a part of outputTokens, not more tokens; absent where not counted. */
  reasoningTokens?: number | undefined;
}

/** Every token of the mix: uncached input, cache reads, both cache writes and output. */
export function allTokens(mix: TokenMix): number {
  return inputSideTokens(mix) + mix.outputTokens;
}

/** What the model read: uncached input, cache reads and cache writes. */
export function inputSideTokens(mix: TokenMix): number {
  return mix.inputTokens + mix.cacheReadTokens + mix.cacheWriteTokens + (mix.cacheWrite1hTokens ?? 0);
}

/**
 * "1,200 uncached input · 300 cache read · 50 cache write 5m · 20 cache write 1h · 900 output
 * (40 reasoning)": cache reads and writes are priced differently (a read is a tenth of input, a
 * 1-hour write twice it), so they are never lumped together; a bucket of 0 is left out. Reasoning
 * is shown inside output, as it is billed.
 */
export function tokenMixDetail(mix: TokenMix, format: (n: number) => string): string {
  const parts: Array<[number, string]> = [
    [mix.inputTokens, 'uncached input'],
    [mix.cacheReadTokens, 'cache read'],
    [mix.cacheWriteTokens, 'cache write 5m'],
    [mix.cacheWrite1hTokens ?? 0, 'cache write 1h'],
    [mix.outputTokens, 'output'],
  ];
  const text = parts
    .filter(([n], i) => n > 0 || i === 0 || i === parts.length - 1)
    .map(([n, label]) => `${format(n)} ${label}`)
    .join(' · ');
  return mix.reasoningTokens ? `${text} (${format(mix.reasoningTokens)} reasoning)` : text;
}
