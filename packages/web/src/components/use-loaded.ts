import { useCallback, useEffect, useState } from 'react';
import { errorMessage } from '../format.js';

export type Loaded<T> = { kind: 'loading' } | { kind: 'failed'; message: string } | { kind: 'loaded'; value: T };

/**
 * Loads a value when the component mounts and on reload(); an answer that comes after a newer
 * request started, or after unmount, is dropped.
 */
export function useLoaded<T>(load: () => Promise<T>): [Loaded<T>, () => void, (value: T) => void] {
  const [state, setState] = useState<Loaded<T>>({ kind: 'loading' });
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let current = true;
    load().then(
      (value) => current && setState({ kind: 'loaded', value }),
      (error: unknown) => current && setState({ kind: 'failed', message: errorMessage(error) }),
    );
    return () => {
      current = false;
    };
    // `load` is a fresh closure each render; what it reads changes only through reload().
  }, [version]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  const set = useCallback((value: T) => setState({ kind: 'loaded', value }), []);
  return [state, reload, set];
}
