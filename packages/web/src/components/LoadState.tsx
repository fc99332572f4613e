import type { ReactNode } from 'react';
import type { Loaded } from './use-loaded.js';

/** Loading and failure lines for a section's data, else its content. */
export function LoadState<T>({ state, what, children }: { state: Loaded<T>; what: string; children: (value: T) => ReactNode }) {
  if (state.kind === 'loading') return <p className="muted" role="status">Loading {what}…</p>;
  if (state.kind === 'failed') return <p className="error" role="alert">Could not load {what}: {state.message}</p>;
  return <>{children(state.value)}</>;
}
