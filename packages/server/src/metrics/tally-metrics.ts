import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConnectorSyncOutcome } from '../connectors/connector-sync.js';
import type { LlmCall } from '../llm/language-model-client.js';
import type { RunMetrics } from '../runs/run-metrics.js';

/** Live figures read at scrape time from the node's parts. */
export interface MetricSources {
  /** WebSocket connections open on this node. */
  sockets(): number;
  /** Runs this node's worker is running now. */
  activeRuns(): number;
  /** Runs of the whole deployment by state (queued, running), read from the database. */
  runsByState(): Promise<Array<{ state: string; count: number }>>;
}

/**
 * The node's Prometheus metrics, in a registry of its own (one per app instance: nothing global,
 * so several nodes in one process, as in tests, never share counters). Names follow Prometheus'
 * conventions: `tally_` prefix, base units (seconds, bytes), `_total` for counters; labels take
 * only a few known values (status, route pattern, state), never user, thread or run ids. Node's
 * process and event-loop figures come from prom-client's default collectors under their usual
 * names (`process_*`, `nodejs_*`), which existing dashboards expect.
 */
export interface TallyMetrics {
  registry: Registry;
  runs: RunMetrics;
  /** Wires the scrape-time sources once the node's parts exist. */
  setSources(sources: MetricSources): void;
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  eventLogWrite(events: number): void;
  deliveryLag(seconds: number): void;
  busReconnected(): void;
  ingested(summary: { inserted: number; duplicates: number; rejected: number }): void;
  llmCall(call: LlmCall, costUsd: number | null): void;
  connectorSynced(sync: ConnectorSyncOutcome): void;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createTallyMetrics(): TallyMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named like counters (Prometheus' linter refuses them); the same counts stay, by type,
  // in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  let sources: MetricSources | undefined;
  const registers = [registry];

  new Gauge({
    name: 'tally_websocket_connections',
    help: 'WebSocket connections open on this node.',
    registers,
    collect() {
      this.set(sources?.sockets() ?? 0);
    },
  });
  new Gauge({
    name: 'tally_runs_active',
    help: "Runs this node's worker is running now.",
    registers,
    collect() {
      this.set(sources?.activeRuns() ?? 0);
    },
  });
  new Gauge({
    name: 'tally_runs',
    help: 'Runs of the whole deployment not yet ended, by state (read from the database at scrape time).',
    labelNames: ['state'],
    registers,
    async collect() {
      this.reset();
      const rows = (await sources?.runsByState().catch(() => null)) ?? null;
      // A scrape while the database is away reports nothing rather than zeros.
      for (const row of rows ?? []) this.set({ state: row.state }, row.count);
    },
  });
  const runsStarted = new Counter({ name: 'tally_runs_started_total', help: 'Runs this node started (claimed), takeovers included.', registers });
  const runsFinished = new Counter({ name: 'tally_runs_finished_total', help: 'Runs this node ended, by final status.', labelNames: ['status'], registers });
  const runDuration = new Histogram({
    name: 'tally_run_duration_seconds',
    help: 'From a run starting to its end, by final status.',
    labelNames: ['status'],
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const firstEvent = new Histogram({ name: 'tally_run_first_event_seconds', help: 'From a run being queued to its first event going out.', buckets: SECONDS_BUCKETS, registers });
  const takeovers = new Counter({ name: 'tally_run_takeovers_total', help: 'Runs this node resumed after another worker lost or gave up their lease.', registers });
  const leaseExpirations = new Counter({ name: 'tally_run_lease_expirations_total', help: 'Runs this node put back in the queue because their lease expired.', registers });
  const httpRequests = new Counter({ name: 'tally_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status code.', labelNames: ['method', 'route', 'status_code'], registers });
  const httpDuration = new Histogram({
    name: 'tally_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route pattern.',
    labelNames: ['method', 'route'],
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const logWrites = new Counter({ name: 'tally_event_log_writes_total', help: 'Writes to the run event log (each holds one or more events).', registers });
  const logEvents = new Counter({ name: 'tally_event_log_events_total', help: 'Run events written to the event log.', registers });
  const lag = new Histogram({
    name: 'tally_event_delivery_lag_seconds',
    help: 'From a run event being made to its arrival on the bus of a node with subscribers.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const reconnects = new Counter({ name: 'tally_bus_reconnects_total', help: 'Times the link to the other nodes (Redis) came back after a loss.', registers });
  const ingestRows = new Counter({ name: 'tally_usage_ingest_rows_total', help: 'Usage rows read by ingestion, by outcome (inserted, duplicate, refused).', labelNames: ['outcome'], registers });
  const llmCalls = new Counter({ name: 'tally_llm_calls_total', help: "Tally's own LLM calls, by status.", labelNames: ['status'], registers });
  const llmDuration = new Histogram({ name: 'tally_llm_call_duration_seconds', help: "Latency of Tally's own LLM calls.", buckets: SECONDS_BUCKETS, registers });
  const llmTokens = new Counter({ name: 'tally_llm_tokens_total', help: "Tokens of Tally's own LLM calls, by kind.", labelNames: ['kind'], registers });
  const llmCost = new Counter({ name: 'tally_llm_cost_usd_total', help: "List-price cost in US dollars of Tally's own LLM calls the price catalog knows.", registers });
  const connectorSyncs = new Counter({
    name: 'tally_connector_syncs_total',
    help: 'Provider connector syncs this node ran, by provider and outcome (ok, failed, interrupted).',
    labelNames: ['provider', 'outcome'],
    registers,
  });
  const connectorSyncDuration = new Histogram({
    name: 'tally_connector_sync_duration_seconds',
    help: 'How long a provider connector sync took, fetch and store, by provider.',
    labelNames: ['provider'],
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const connectorBuckets = new Counter({ name: 'tally_connector_buckets_stored_total', help: "Provider billing buckets stored by this node's connector syncs, by provider.", labelNames: ['provider'], registers });

  return {
    registry,
    setSources(s) {
      sources = s;
    },
    runs: {
      runStarted: () => runsStarted.inc(),
      runFinished(status, seconds) {
        runsFinished.inc({ status });
        runDuration.observe({ status }, seconds);
      },
      firstEvent: (seconds) => firstEvent.observe(Math.max(0, seconds)),
      takenOver: () => takeovers.inc(),
      leasesExpired: (count) => leaseExpirations.inc(count),
    },
    httpRequest(method, route, status, seconds) {
      httpRequests.inc({ method, route, status_code: String(status) });
      httpDuration.observe({ method, route }, seconds);
    },
    eventLogWrite(events) {
      logWrites.inc();
      logEvents.inc(events);
    },
    deliveryLag: (seconds) => lag.observe(Math.max(0, seconds)),
    busReconnected: () => reconnects.inc(),
    ingested(summary) {
      ingestRows.inc({ outcome: 'inserted' }, summary.inserted);
      ingestRows.inc({ outcome: 'duplicate' }, summary.duplicates);
      ingestRows.inc({ outcome: 'refused' }, summary.rejected);
    },
    llmCall(call, costUsd) {
      llmCalls.inc({ status: call.status });
      llmDuration.observe(call.latencyMs / 1000);
      llmTokens.inc({ kind: 'input' }, call.inputTokens);
      llmTokens.inc({ kind: 'cache_read' }, call.cacheReadTokens);
      llmTokens.inc({ kind: 'cache_write' }, call.cacheWriteTokens);
      llmTokens.inc({ kind: 'output' }, call.outputTokens);
      if (costUsd !== null) llmCost.inc(costUsd);
    },
    connectorSynced({ provider, outcome, seconds, buckets }) {
      connectorSyncs.inc({ provider, outcome });
      connectorSyncDuration.observe({ provider }, seconds);
      if (buckets > 0) connectorBuckets.inc({ provider }, buckets);
    },
  };
}
