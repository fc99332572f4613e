/**
 * The contract between the bench runner (bench/run.ts) and each scenario (bench/scenarios/*.ts).
 * A scenario measures Tally and its baseline side by side in the same run, alternating them, and
 * returns figures; the runner prints each as absolutes and as a ratio, checks it against its
 * target and writes the results as JSON for docs/BENCHMARKS.md.
 */

/** `quick`: what `npm run bench` runs, under 10 minutes in all on 2 cores. `full`: `--full`, every target at its stated size. */
export type BenchProfile = 'quick' | 'full';

export interface BenchContext {
  profile: BenchProfile;
  /** Progress lines, shown as the run goes (a scenario starts its own services and processes). */
  log(line: string): void;
}

/** A target a figure must meet: `max` for costs (latency, bytes), `min` for rates. */
export interface Target {
  /** Bound on the absolute value, in the figure's unit. */
  max?: number;
  min?: number;
  /** Bound on tally / baseline. */
  maxRatio?: number;
  minRatio?: number;
  /** Bound on tally - baseline, in the figure's unit (an added cost, e.g. replay over a fresh connect). */
  maxOver?: number;
}

export interface Figure {
  /** What is measured, e.g. `event delivery p99, 500 runs`. */
  name: string;
  /** `ms`, `KB`, `runs/s`, `connects/s`, `rows/s`, `s`, `count`. */
  unit: string;
  tally: number;
  /** The same measure on the baseline, when the target compares to one. */
  baseline?: number;
  /** What the baseline is, e.g. `bare ws server`, `direct LLM call`, `direct batch insert`. */
  baselineName?: string;
  target?: Target;
  /** Lost / duplicated / reordered events counted during the measure (must be 0). */
  integrity?: { lost: number; duplicated: number; reordered: number };
  /** Anything a reader needs to interpret the figure (sizes, why a target is missed). */
  note?: string;
  /**
   * Why the figure fails whatever its value, e.g. a delivery round that ran past 1.2x its nominal
   * length (the load was not what the figure's name says).
   */
  failures?: string[];
  /** Set when the measure was smaller than the target's stated size: no verdict, this says why. */
  notJudged?: string;
}

export interface ScenarioResult {
  scenario: string;
  figures: Figure[];
}

export interface Scenario {
  name: string;
  /** Whether the quick profile runs it (soak-type scenarios may be full only). */
  quick: boolean;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}
