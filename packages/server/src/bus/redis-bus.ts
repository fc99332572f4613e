import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { logRedisErrors } from '../logging/redis-connection-log.js';

/**
 * The bus across nodes. One connection publishes, one subscribes; a channel is subscribed in
 * Redis once per node however many local handlers it has, and released with the last one.
 */
export async function createRedisBus(options: { url: string; prefix: string; logger?: Logger }): Promise<Bus> {
  // Publishes fail fast while Redis is away (the log keeps every event); the subscriber reconnects forever.
  const publisher = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  const subscriber = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: null });
  logRedisErrors(publisher, options.logger, 'bus publisher');
  logRedisErrors(subscriber, options.logger, 'bus subscriber');
  await Promise.all([publisher.connect(), subscriber.connect()]);
  const handlers = new Map<string, Set<(message: string) => void>>();
  const reconnectHandlers = new Set<() => void>();
  const key = (channel: string) => options.prefix + channel;

  // ioredis re-subscribes every channel when it reconnects; what was published meanwhile is gone,
  // so listeners are told to catch up from the run logs. The first 'ready' came before this
  // listener (connect() above resolved on it): every one it hears is a reconnect, the first one included.
  subscriber.on('ready', () => {
    for (const handler of [...reconnectHandlers]) handler();
  });

  subscriber.on('message', (redisChannel: string, message: string) => {
    const set = handlers.get(redisChannel);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(message);
      } catch {
        // A subscriber's failure is its own.
      }
    }
  });

  return {
    async publish(channel, message) {
      await publisher.publish(key(channel), message);
    },
    async subscribe(channel, handler) {
      const k = key(channel);
      let set = handlers.get(k);
      if (!set) {
        handlers.set(k, (set = new Set()));
        await subscriber.subscribe(k);
      }
      set.add(handler);
      return async () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(k) === set) {
          handlers.delete(k);
          await subscriber.unsubscribe(k).catch(() => undefined);
        }
      };
    },
    isConnected: () => publisher.status === 'ready' && subscriber.status === 'ready',
    onReconnect(handler) {
      reconnectHandlers.add(handler);
      return () => reconnectHandlers.delete(handler);
    },
    async close() {
      handlers.clear();
      reconnectHandlers.clear();
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
