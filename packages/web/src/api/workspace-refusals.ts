import { ErrorBodySchema } from '@tally/protocol';

/**
 * The server's answers that say the signed-in person's standing in a workspace changed under
 * them: WORKSPACE_NOT_FOUND (removed, or the workspace left) or WORKSPACE_FORBIDDEN (a weaker role)
 * to a request under /v1/workspaces/:workspaceId/. Watched on every request in one place, the
 * fetch the REST client is given, so no page has to remember to check.
 */
export interface WorkspaceRefusal {
  workspaceId: string;
  code: 'WORKSPACE_NOT_FOUND' | 'WORKSPACE_FORBIDDEN';
}

export interface WorkspaceRefusals {
  /** The fetch to hand the REST client: the same requests and answers, watched. */
  fetch: typeof fetch;
  on(listener: (refusal: WorkspaceRefusal) => void): () => void;
  /** For answers that do not come through `fetch` (an upload sent with XMLHttpRequest for its progress). */
  report(refusal: WorkspaceRefusal): void;
}

const WORKSPACE_PATH = /\/v1\/workspaces\/([0-9a-f-]{36})\//i;
const CODES = new Set<string>(['WORKSPACE_NOT_FOUND', 'WORKSPACE_FORBIDDEN']);

/** The workspace a refused request named, and the refusal's code; null for any other answer. */
export function workspaceRefusalOf(url: string, status: number, body: unknown): WorkspaceRefusal | null {
  if (status !== 403 && status !== 404) return null;
  const id = WORKSPACE_PATH.exec(url)?.[1];
  const code = ErrorBodySchema.safeParse(body).data?.error.code;
  if (!id || !code || !CODES.has(code)) return null;
  return { workspaceId: id.toLowerCase(), code: code as WorkspaceRefusal['code'] };
}

export function watchWorkspaceRefusals(inner: typeof fetch): WorkspaceRefusals {
  const listeners = new Set<(refusal: WorkspaceRefusal) => void>();
  const report = (refusal: WorkspaceRefusal) => listeners.forEach((listener) => listener(refusal));
  return {
    fetch: async (input, init) => {
      const response = await inner(input, init);
      if (response.status === 403 || response.status === 404) {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        // A copy is read, so the REST client still reads (and types) the answer itself.
        const body: unknown = await response.clone().json().catch(() => null);
        const refusal = workspaceRefusalOf(url, response.status, body);
        if (refusal) report(refusal);
      }
      return response;
    },
    on: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    report,
  };
}
