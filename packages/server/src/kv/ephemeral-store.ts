/**
 * Short-lived keys shared by all nodes (with Redis) or held in-process: WebSocket tickets now,
 * rate-limit counters later. `take` reads and deletes at once, so a key is good for one use.
 */
export interface EphemeralStore {
  set(key: string, value: string, ttlMs: number): Promise<void>;
  take(key: string): Promise<string | null>;
  close(): Promise<void>;
}
