/**
 * OTLP records are priced, keyed and serialised as their request is read (prepare-otlp-records.ts)
 * and stored by the write batcher; the key prefix is still exported here for the benchmarks
 * (bench/scenarios/otlp-ingest.ts), which key their direct-insert baseline the same way.
 */
export { OTLP_KEY_PREFIX } from './prepare-otlp-records.js';
