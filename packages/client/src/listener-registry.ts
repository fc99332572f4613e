/** Listeners stored by key; the typed `on` methods of a client keep the public side typed. */
export interface ListenerRegistry {
  add(key: string, listener: (...args: never[]) => void): () => void;
  /** Calls every listener of `key`; one that throws does not stop the others, its error goes to `onError`. */
  emit(key: string, args: readonly unknown[], onError: (error: Error) => void): void;
}

type AnyListener = (...args: readonly unknown[]) => void;

export function createListenerRegistry(): ListenerRegistry {
  const byKey = new Map<string, Set<AnyListener>>();
  return {
    add(key, listener) {
      const set = byKey.get(key) ?? new Set();
      set.add(listener as AnyListener);
      byKey.set(key, set);
      return () => void set.delete(listener as AnyListener);
    },
    emit(key, args, onError) {
      for (const listener of [...(byKey.get(key) ?? [])]) {
        try {
          listener(...args);
        } catch (error) {
          onError(error instanceof Error ? error : new Error(String(error)));
        }
      }
    },
  };
}
