import type { Bus } from './bus.js';

/** The in-process bus of a single node (the embedded default). */
export function createMemoryBus(): Bus {
  const handlers = new Map<string, Set<(message: string) => void>>();

  return {
    async publish(channel, message) {
      const set = handlers.get(channel);
      if (!set) return;
      // A copy, so a handler that unsubscribes while being called does not disturb the loop.
      for (const handler of [...set]) {
        try {
          handler(message);
        } catch {
          // A subscriber's failure is its own; the publisher and other subscribers go on.
        }
      }
    },
    async subscribe(channel, handler) {
      let set = handlers.get(channel);
      if (!set) handlers.set(channel, (set = new Set()));
      set.add(handler);
      return async () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(channel) === set) handlers.delete(channel);
      };
    },
    onReconnect() {
      // In-process delivery never loses its link.
      return () => undefined;
    },
    async close() {
      handlers.clear();
    },
  };
}
