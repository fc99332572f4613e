import { channels, type Bus } from '../bus/bus.js';
import type { RunEventLog } from '../runs/run-event-log.js';
import type { UsageIngester } from '../usage/ingest/ingest-usage.js';
import type { TallyMetrics } from './tally-metrics.js';

/** The event log, counting its writes. */
export function countEventLogWrites(log: RunEventLog, metrics: Pick<TallyMetrics, 'eventLogWrite'>): RunEventLog {
  return {
    async append(events, tx) {
      await log.append(events, tx);
      if (events.length > 0) metrics.eventLogWrite(events.length);
    },
    async start(start) {
      const outcome = await log.start(start);
      if (outcome.outcome === 'queued') metrics.eventLogWrite(1);
      return outcome;
    },
    async end(end) {
      const ended = await log.end(end);
      if (ended) metrics.eventLogWrite(end.events.length);
      return ended;
    },
    list: (run, afterSeq, limit) => log.list(run, afterSeq, limit),
  };
}

/** The ingester, counting the rows each upload stored, found already stored, or refused. */
export function countIngestedRows(ingester: UsageIngester, metrics: TallyMetrics): UsageIngester {
  return {
    async ingest(ownerId, source, options) {
      const summary = await ingester.ingest(ownerId, source, options);
      metrics.ingested(summary);
      return summary;
    },
  };
}

const TS_FIELD = '"ts":"';
const RUN_EVENTS = channels.runEvents('');

/**
 * The bus, measuring how late run events arrive at this node's subscribers (their `ts` is when
 * the run made them). The time is read from the raw message rather than parsing it again: a run
 * event's JSON has `ts` before `data`, so the first `"ts":"` is the event's own.
 */
export function measureDeliveryLag(bus: Bus, metrics: TallyMetrics): Bus {
  return {
    publish: (channel, message) => bus.publish(channel, message),
    onReconnect: (handler) => bus.onReconnect(handler),
    isConnected: () => bus.isConnected?.() ?? true,
    close: () => bus.close(),
    subscribe(channel, handler) {
      if (!channel.startsWith(RUN_EVENTS)) return bus.subscribe(channel, handler);
      return bus.subscribe(channel, (message) => {
        const at = message.indexOf(TS_FIELD);
        if (at >= 0) {
          const ts = Date.parse(message.slice(at + TS_FIELD.length, message.indexOf('"', at + TS_FIELD.length)));
          if (Number.isFinite(ts)) metrics.deliveryLag((Date.now() - ts) / 1000);
        }
        handler(message);
      });
    },
  };
}
