import type { MessagePort } from 'node:worker_threads';
import type { Bus } from './bus.js';

/**
 * The in-process bus stretched over the node's run threads (TALLY_RUN_THREADS without Redis).
 * The main thread's bus stays the hub; each run thread holds a port bus whose subscriptions the
 * hub carries out on its behalf, so a message crosses a thread only towards a thread that listens
 * to its channel: a delta of a run goes to the main thread (its sockets), never to the other
 * run threads. With Redis each thread has a Redis bus of its own and none of this is used.
 */
type PortMessage =
  | { op: 'subscribe'; channel: string; id: number }
  | { op: 'unsubscribe'; channel: string }
  | { op: 'publish'; channel: string; message: string }
  | { op: 'subscribed'; id: number }
  | { op: 'message'; channel: string; message: string };

/** The hub side: serves a run thread's port on the main thread's bus until the port closes. */
export function serveBusPort(hub: Bus, port: MessagePort): () => Promise<void> {
  const subscriptions = new Map<string, Promise<() => Promise<void>>>();
  const release = async () => {
    const all = [...subscriptions.values()];
    subscriptions.clear();
    await Promise.allSettled(all.map(async (s) => (await s)()));
  };
  port.on('message', (m: PortMessage) => {
    switch (m.op) {
      case 'publish':
        // Delivered to the hub's own handlers and, through their subscriptions, to every listening thread (the sender too).
        void hub.publish(m.channel, m.message).catch(() => undefined);
        return;
      case 'subscribe': {
        let subscribed = subscriptions.get(m.channel);
        if (!subscribed) {
          subscribed = hub.subscribe(m.channel, (message) => port.postMessage({ op: 'message', channel: m.channel, message } satisfies PortMessage));
          subscriptions.set(m.channel, subscribed);
        }
        void subscribed.then(() => port.postMessage({ op: 'subscribed', id: m.id } satisfies PortMessage));
        return;
      }
      case 'unsubscribe': {
        const subscribed = subscriptions.get(m.channel);
        subscriptions.delete(m.channel);
        void subscribed?.then((unsubscribe) => unsubscribe());
        return;
      }
      default:
        return;
    }
  });
  port.on('close', () => void release());
  return release;
}

/** The run thread's side: a Bus whose channels live on the hub; one hub subscription per channel. */
export function createPortBus(port: MessagePort): Bus {
  const handlers = new Map<string, Set<(message: string) => void>>();
  // Channels whose hub subscription is on its way: a second subscriber waits for the same answer.
  const pending = new Map<string, Promise<void>>();
  const acks = new Map<number, () => void>();
  let nextId = 1;
  port.on('message', (m: PortMessage) => {
    if (m.op === 'subscribed') {
      acks.get(m.id)?.();
      acks.delete(m.id);
    } else if (m.op === 'message') {
      const set = handlers.get(m.channel);
      if (!set) return;
      for (const handler of [...set]) {
        try {
          handler(m.message);
        } catch {
          // A subscriber's failure is its own.
        }
      }
    }
  });
  const post = (m: PortMessage) => port.postMessage(m);
  return {
    async publish(channel, message) {
      post({ op: 'publish', channel, message });
    },
    async subscribe(channel, handler) {
      let set = handlers.get(channel);
      if (!set) {
        handlers.set(channel, (set = new Set()));
        const id = nextId++;
        // Active once the hub says so: a stop published right after a run is claimed must reach it.
        const answered = new Promise<void>((resolve) => {
          acks.set(id, resolve);
          post({ op: 'subscribe', channel, id });
        }).finally(() => pending.delete(channel));
        pending.set(channel, answered);
      }
      set.add(handler);
      await pending.get(channel);
      return async () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(channel) === set) {
          handlers.delete(channel);
          post({ op: 'unsubscribe', channel });
        }
      };
    },
    onReconnect() {
      // Threads of one process never lose their link.
      return () => undefined;
    },
    async close() {
      handlers.clear();
      for (const ack of acks.values()) ack();
      acks.clear();
      port.close();
    },
  };
}
