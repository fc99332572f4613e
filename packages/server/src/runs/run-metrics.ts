/** What a run worker reports to the metrics endpoint (metrics/tally-metrics.ts counts it; a worker without metrics reports nothing). */
export interface RunMetrics {
  runStarted(): void;
  runFinished(status: 'completed' | 'failed' | 'cancelled', seconds: number): void;
  /** Seconds from the run being queued to its first event going out. */
  firstEvent(seconds: number): void;
  /** A run another worker had started was claimed here and resumed from its checkpoint. */
  takenOver(): void;
  /** Runs whose lease expired were put back in the queue by this node. */
  leasesExpired(count: number): void;
}
