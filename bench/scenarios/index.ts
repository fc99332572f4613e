/**
 * Every scenario the runner knows, in the order it runs them. One import and one entry per
 * scenario (engineers add their own line).
 */
import type { Scenario } from '../lib/scenario.js';
import { analyticsScenario } from './analytics.js';
import { clusterDelivery } from './cluster-delivery.js';
import { connects } from './connects.js';
import { eventDelivery } from './event-delivery.js';
import { idleConnections } from './idle-connections.js';
import { llmStreamReader } from './llm-stream-reader.js';
import { reconnectStorm } from './reconnect-storm.js';
import { runMemory } from './run-memory.js';
import { replay } from './replay.js';
import { slowReader } from './slow-reader.js';
import { soak } from './soak.js';
import { runsThroughput } from './runs-throughput.js';
import { timeToFirstToken } from './time-to-first-token.js';
import { toolRuns } from './tool-runs.js';
import { persistence } from './persistence.js';
import { embeddedAskers } from './embedded-askers.js';
import { otlpIngest } from './otlp-ingest.js';
import { otlpLive } from './otlp-live.js';
import { otlpBystanders } from './otlp-bystanders.js';

export const SCENARIOS: Scenario[] = [
  idleConnections,
  connects,
  eventDelivery,
  llmStreamReader,
  runMemory,
  replay,
  reconnectStorm,
  slowReader,
  clusterDelivery,
  soak,
  runsThroughput,
  timeToFirstToken,
  toolRuns,
  persistence,
  analyticsScenario,
  embeddedAskers,
  otlpIngest,
  otlpLive,
  otlpBystanders,
];
