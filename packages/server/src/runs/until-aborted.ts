/**
 * Settles with `work`, or rejects with the signal's reason as soon as it is aborted, whichever
 * comes first. A stopped run ends at once even when its pipeline is inside a long step (a
 * database query, a computation between two checks of the signal): what the step still does
 * afterwards is discarded, and its next emit throws.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
