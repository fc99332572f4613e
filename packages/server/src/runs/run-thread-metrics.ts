import type { LlmCall } from '../llm/language-model-client.js';
import type { RunMetrics } from './run-metrics.js';

/**
 * What a run thread's runs are counted by: the main thread's metrics (metrics/tally-metrics.ts),
 * the one registry GET /metrics serves. A thread has no registry of its own that anyone scrapes,
 * so it reports each observation over its port and the main thread counts it.
 */
export interface RunThreadMetricsSink {
  runs: RunMetrics;
  eventLogWrite(events: number): void;
  llmCall(call: LlmCall, costUsd: number | null): void;
}

/** One observation, as it crosses from a run thread to the main thread. */
export type RunThreadMetric =
  | { name: 'runStarted' }
  | { name: 'runFinished'; status: 'completed' | 'failed' | 'cancelled'; seconds: number }
  | { name: 'firstEvent'; seconds: number }
  | { name: 'takenOver' }
  | { name: 'leasesExpired'; count: number }
  | { name: 'eventLogWrite'; events: number }
  | { name: 'llmCall'; call: LlmCall; costUsd: number | null };

/** The thread's side: a sink that sends each observation on. */
export function forwardRunThreadMetrics(send: (metric: RunThreadMetric) => void): RunThreadMetricsSink {
  return {
    runs: {
      runStarted: () => send({ name: 'runStarted' }),
      runFinished: (status, seconds) => send({ name: 'runFinished', status, seconds }),
      firstEvent: (seconds) => send({ name: 'firstEvent', seconds }),
      takenOver: () => send({ name: 'takenOver' }),
      leasesExpired: (count) => send({ name: 'leasesExpired', count }),
    },
    eventLogWrite: (events) => send({ name: 'eventLogWrite', events }),
    llmCall: (call, costUsd) => send({ name: 'llmCall', call, costUsd }),
  };
}

/** The main thread's side: counts an observation a run thread sent. */
export function countRunThreadMetric(sink: RunThreadMetricsSink, metric: RunThreadMetric): void {
  switch (metric.name) {
    case 'runStarted':
      return sink.runs.runStarted();
    case 'runFinished':
      return sink.runs.runFinished(metric.status, metric.seconds);
    case 'firstEvent':
      return sink.runs.firstEvent(metric.seconds);
    case 'takenOver':
      return sink.runs.takenOver();
    case 'leasesExpired':
      return sink.runs.leasesExpired(metric.count);
    case 'eventLogWrite':
      return sink.eventLogWrite(metric.events);
    case 'llmCall':
      return sink.llmCall(metric.call, metric.costUsd);
    default: {
      const never: never = metric;
      throw new Error(`unknown run thread metric ${JSON.stringify(never)}`);
    }
  }
}
