/**
 * Publish/subscribe between the parts of one node and, with Redis, across nodes. Channels are
 * targeted (`run:<id>`, `run-cancel:<id>`): a node subscribes only to what its own sockets and
 * workers need. Delivery is at most once; the run's event log is what makes replay whole.
 */
export interface Bus {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; the returned function removes it. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  /** Called after the link to the other nodes came back: messages sent meanwhile may be lost. */
  onReconnect(handler: () => void): () => void;
  /** Whether the link to the other nodes is up now (readiness); a bus within one node has none to lose. */
  isConnected?(): boolean;
  close(): Promise<void>;
}

export const channels = {
  runEvents: (runId: string) => `run:${runId}`,
  runCancel: (runId: string) => `run-cancel:${runId}`,
  /** A subscriber found a gap the log cannot fill yet: the run's emitter writes its buffer now. */
  runFlush: (runId: string) => `run-flush:${runId}`,
  /** Thread activity of one user (a run queued or finished), for all of their sockets. */
  userActivity: (userId: string) => `user:${userId}`,
  /**
   * A run was queued in a thread its author shared (`{authorId, activity}`): every node hears it,
   * and other members' sockets watching that thread follow the run if they may still read it.
   */
  sharedThreadActivity: 'shared-threads:activity',
  /** Security events of one user (sessions revoked): their sockets on every node act on them. */
  userControl: (userId: string) => `user-control:${userId}`,
  /** A run was queued: idle workers on any node may claim it. */
  runsQueued: 'runs:queued',
  /** An admin changed the LLM settings: every node reads them again for its next run. */
  llmSettingsChanged: 'llm-settings:changed',
  /** An admin changed prices (overrides, discounts, the catalog data): every node and run thread reloads them. */
  pricesChanged: 'prices:changed',
  /**
   * The usage of a workspace changed (`UsageChangedMessage`, usage/usage-change-announcer.ts): one
   * node-wide channel, since sockets do not declare which workspace they show; each gateway sends
   * the frame to the members' sockets it holds. Coalesced per workspace by the announcer.
   */
  usageChanged: 'usage:changed',
  /** "Sync now" on a provider connector (`connectors/`): each node's scheduler looks for due connections at once. */
  connectorSyncRequested: 'connectors:sync-requested',
} as const;
