import * as hdr from 'hdr-histogram-js';

/** Latency percentiles, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Fewer samples than this have no p99 of their own: the percentile lands on the largest one
 * (issue 19: a maximum is called a maximum).
 */
export const MIN_SAMPLES_FOR_P99 = 100;

/**
 * Why a p99 over these samples is no p99 (they are too few, so it is their maximum), or undefined
 * when it is one. For a figure's `notJudged` or its note.
 */
export function p99Shortfall(summary: Pick<LatencySummary, 'count'>, what = 'samples'): string | undefined {
  return summary.count < MIN_SAMPLES_FOR_P99 ? `only ${summary.count} ${what} (fewer than ${MIN_SAMPLES_FOR_P99}): their p99 is their maximum` : undefined;
}

/**
 * A latency histogram that records microseconds (1 µs to 10 min, 3 significant digits) and
 * reports milliseconds. The plain JS implementation: no WebAssembly start-up in the harness.
 */
export interface LatencyHistogram {
  /** Records one latency given in milliseconds (fractions kept down to the microsecond). */
  recordMs(ms: number): void;
  summary(): LatencySummary;
  /** Adds another histogram's values (e.g. merging rounds). */
  add(other: LatencyHistogram): void;
  readonly raw: hdr.Histogram;
}

export function createLatencyHistogram(): LatencyHistogram {
  const raw = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  return {
    raw,
    recordMs(ms) {
      // Clock skew between two readings of one machine's clock can make a tiny negative; count it as 1 µs.
      raw.recordValue(Math.min(600_000_000, Math.max(1, Math.round(ms * 1000))));
    },
    summary() {
      return {
        count: raw.totalCount,
        p50: raw.getValueAtPercentile(50) / 1000,
        p99: raw.getValueAtPercentile(99) / 1000,
        max: raw.maxValue / 1000,
      };
    },
    add(other) {
      raw.add(other.raw);
    },
  };
}
