/**
 * A small deterministic random source (mulberry32) for generated data: the same seed gives the
 * same sequence on every machine and Node version, which Math.random cannot promise.
 */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  /** Integer, uniform in [min, max] inclusive. */
  int(min: number, max: number): number;
  /** Log-uniform integer in [min, max]: most values small, a long tail, like token counts. */
  logInt(min: number, max: number): number;
  chance(probability: number): boolean;
  /** An index drawn with the given non-negative weights. */
  weighted(weights: readonly number[]): number;
  /** `count` letters and digits. */
  token(count: number): string;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const between = (min: number, max: number) => min + (max - min) * next();
  return {
    next,
    between,
    int: (min, max) => Math.floor(between(min, max + 1)),
    logInt: (min, max) => Math.min(max, Math.floor(Math.exp(between(Math.log(min), Math.log(max + 1))))),
    chance: (probability) => next() < probability,
    weighted(weights) {
      const total = weights.reduce((a, b) => a + b, 0);
      let r = next() * total;
      for (let i = 0; i < weights.length; i++) {
        r -= weights[i] ?? 0;
        if (r < 0) return i;
      }
      return weights.length - 1;
    },
    token(count) {
      let out = '';
      for (let i = 0; i < count; i++) out += ALPHABET[Math.floor(next() * ALPHABET.length)];
      return out;
    },
  };
}
