import { z } from 'zod';
import { TallyApiError, TallyTimeoutError, apiErrorFromResponse } from './errors.js';

/** Gives the current access token, or undefined when signed out; may refresh it first. */
export type AccessTokenProvider = () => string | undefined | Promise<string | undefined>;

export interface RestClientOptions {
  /** Server origin, e.g. `http://127.0.0.1:8080`; '' means relative URLs (same origin, browser). */
  baseUrl: string;
  /** Called before every authenticated request. */
  getAccessToken?: AccessTokenProvider;
  /**
   * Called once when an authenticated request answers 401; resolve true after refreshing the
   * token to have the request retried once with the new one.
   */
  onUnauthorized?: () => Promise<boolean>;
  /** Defaults to the global fetch (Node 20 and browsers). */
  fetch?: typeof fetch;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Sent as User-Agent by programs (the CLI names itself); browsers send their own. */
  userAgent?: string;
}

/** One REST request: its route, the schema its answer must have, and whether it carries the access token. */
export interface RequestSpec<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  schema: S;
  auth: boolean;
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
}

/** The answer of routes that answer 204 No Content. */
export const EmptySchema = z.object({}).passthrough();

/** Sends a request and parses its answer; a 401 is refreshed (onUnauthorized) and retried once. */
export type Send = <S extends z.ZodType>(spec: RequestSpec<S>) => Promise<z.infer<S>>;

/** The one place a REST call is made: headers, the token, the timeout, errors typed, the answer parsed. */
export function createSender(options: RestClientOptions): Send {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function send<S extends z.ZodType>(spec: RequestSpec<S>, retried = false): Promise<z.infer<S>> {
    const headers: Record<string, string> = { accept: 'application/json', ...(options.userAgent ? { 'user-agent': options.userAgent } : {}) };
    if (spec.auth) {
      const token = await options.getAccessToken?.();
      if (!token) throw new TallyApiError(401, 'AUTH_REQUIRED', 'Not signed in.');
      headers.authorization = `Bearer ${token}`;
    }
    let body = spec.body;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.contentType) {
      headers['content-type'] = spec.contentType;
    }

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await doFetch(`${baseUrl}${spec.path}`, {
        method: spec.method,
        headers,
        body,
        signal: controller.signal,
      });
      text = await response.text();
    } catch (error) {
      if (controller.signal.aborted) throw new TallyTimeoutError(`${spec.method} ${spec.path}`, timeoutMs);
      throw new TallyApiError(0, 'CLIENT_NETWORK', `${spec.method} ${spec.path} failed: ${describe(error)}`);
    } finally {
      clearTimeout(timer);
    }

    if (!response.ok) {
      if (response.status === 401 && spec.auth && !retried && options.onUnauthorized) {
        if (await options.onUnauthorized()) return send(spec, true);
      }
      throw apiErrorFromResponse(response.status, text);
    }
    return parseBody(spec, response.status, text);
  }

  return (spec) => send(spec);
}

function parseBody<S extends z.ZodType>(spec: RequestSpec<S>, status: number, text: string): z.infer<S> {
  let json: unknown;
  try {
    json = status === 204 && text === '' ? {} : JSON.parse(text);
  } catch {
    throw new TallyApiError(status, 'CLIENT_UNEXPECTED_RESPONSE', `${spec.path} answered with non-JSON text`);
  }
  const parsed = spec.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown shape';
    throw new TallyApiError(status, 'CLIENT_UNEXPECTED_RESPONSE', `${spec.path} answered an unexpected shape (${where})`);
  }
  return parsed.data;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
