import { useCallback, useState } from 'react';
import { errorMessage } from '../format.js';

export interface Action {
  /** True while an action runs: its buttons are disabled. */
  busy: boolean;
  /** The last action's failure as a sentence (the server's typed errors carry a readable message). */
  error: string | null;
  /** Runs `action`, keeping busy and error; resolves true when it succeeded. `onError` sees the raw error. */
  run(action: () => Promise<void>, onError?: (error: unknown) => void): Promise<boolean>;
}

/** The busy flag and error line of a form or button that calls the server. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async (action: () => Promise<void>, onError?: (error: unknown) => void) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(errorMessage(err));
      onError?.(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
