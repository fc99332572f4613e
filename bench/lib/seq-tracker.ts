/** Lost / duplicated / reordered events, as every figure with events reports them (all must be 0). */
export interface Integrity {
  lost: number;
  duplicated: number;
  reordered: number;
}

export function emptyIntegrity(): Integrity {
  return { lost: 0, duplicated: 0, reordered: 0 };
}

export function addIntegrity(a: Integrity, b: Integrity): Integrity {
  return { lost: a.lost + b.lost, duplicated: a.duplicated + b.duplicated, reordered: a.reordered + b.reordered };
}

/**
 * Checks the seqs one run's receiver got, as they arrive: 1, 2, 3... with no gap. A frame may
 * stand for several seqs (`fromSeq`..`seq`, merged deltas of a lagging socket). A seq seen twice
 * is duplicated; one lower than the highest seen but new is reordered; what never came by the
 * end (`expectedLast`) is lost.
 */
export class SeqTracker {
  private readonly seen = new Set<number>();
  private highest = 0;
  duplicated = 0;
  reordered = 0;

  constructor(private readonly afterSeq = 0) {}

  record(seq: number, fromSeq = seq): void {
    for (let s = fromSeq; s <= seq; s++) {
      if (s <= this.afterSeq || this.seen.has(s)) {
        this.duplicated++;
        continue;
      }
      if (s < this.highest) this.reordered++;
      this.seen.add(s);
      if (s > this.highest) this.highest = s;
    }
  }

  /** Whether this receiver holds `seq` (received it, or it was at or before the seq it resumed after). */
  holds(seq: number): boolean {
    return seq <= this.afterSeq || this.seen.has(seq);
  }

  /** The highest seq held (the one resumed after, before anything new came). */
  get last(): number {
    return Math.max(this.highest, this.afterSeq);
  }

  /** Counts against the seq the run ended at (its terminal event's seq). */
  integrity(expectedLast: number): Integrity {
    let lost = 0;
    for (let s = this.afterSeq + 1; s <= expectedLast; s++) if (!this.seen.has(s)) lost++;
    return { lost, duplicated: this.duplicated, reordered: this.reordered };
  }
}
