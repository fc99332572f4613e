/**
 * Short-lived keys shared by all nodes (with Redis) or held in-process: WebSocket tickets, OIDC
 * states, rate-limit counters and socket slots. `take` reads and deletes at once, so a key is
 * good for one use; every operation is atomic across nodes.
 */
export interface EphemeralStore {
  set(key: string, value: string, ttlMs: number): Promise<void>;
  get(key: string): Promise<string | null>;
  take(key: string): Promise<string | null>;
  /** Adds one to a counter and returns it; a new counter lives ttlMs from its first hit. */
  increment(key: string, ttlMs: number): Promise<number>;
  delete(key: string): Promise<void>;
  /**
   * Holds a place for `member` among at most `max` under `key` for ttlMs (or renews it). False
   * when all places are taken. Places of holders that stopped renewing free themselves.
   */
  claimSlot(key: string, member: string, max: number, ttlMs: number): Promise<boolean>;
  releaseSlot(key: string, member: string): Promise<void>;
  /** Whether the shared store is reachable now (readiness); an in-process store always is. */
  isConnected?(): boolean;
  close(): Promise<void>;
}
