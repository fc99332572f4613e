/**
 * How many OTLP export requests a node works on at once. Past it a request is refused at once
 * with 429 and Retry-After, so exporters back off and retry (OTLP/HTTP's throttling) instead of
 * piling requests onto a store that cannot keep up; each waiting request would hold its body.
 */
export interface IngestGate {
  /** A release function when a slot is free, else null (saturated). */
  tryEnter(): (() => void) | null;
  /** Requests being worked on now. */
  readonly inFlight: number;
}

export function createIngestGate(maxInFlight: number): IngestGate {
  let inFlight = 0;
  return {
    tryEnter() {
      if (inFlight >= maxInFlight) return null;
      inFlight += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight -= 1;
      };
    },
    get inFlight() {
      return inFlight;
    },
  };
}
