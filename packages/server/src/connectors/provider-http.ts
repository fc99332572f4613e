import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '../app-error.js';

/** How a provider call is retried; tests shorten the waits. */
export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** The first backoff; doubles per attempt up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt timeout, so a provider that accepts and never answers cannot hold a lease forever. */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 60_000 };

export interface ProviderRequest {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  retry: RetryPolicy;
}

/**
 * GETs a provider's admin endpoint and returns its JSON. 429 and 5xx (and network failures) are
 * tried again: after the provider's Retry-After when it gives one (seconds or an HTTP date, never
 * past the cap), else with exponential backoff; every wait ends at once when `signal` aborts
 * (shutdown, a lost lease). 401/403 is CONNECTOR_KEY_REJECTED, not retried: a revoked key or one
 * without the usage scope stays so. Another 4xx is CONNECTOR_PROVIDER_INVALID with the provider's
 * own message, which names the bad parameter.
 */
export async function getProviderJson(request: ProviderRequest): Promise<unknown> {
  const { retry, signal } = request;
  let lastProblem = '';
  for (let attempt = 0; attempt < retry.maxAttempts; attempt++) {
    signal.throwIfAborted();
    let response: Response;
    try {
      response = await fetch(request.url, { headers: request.headers, signal: AbortSignal.any([signal, AbortSignal.timeout(retry.timeoutMs)]) });
    } catch (error) {
      signal.throwIfAborted();
      lastProblem = `network: ${(error as Error).message}`;
      await wait(backoffMs(retry, attempt), signal);
      continue;
    }
    if (response.ok) {
      try {
        return await response.json();
      } catch {
        throw new AppError('CONNECTOR_PROVIDER_INVALID', `${hostOf(request.url)} answered ${response.status} with a body that is not JSON`);
      }
    }
    const body = await response.text().catch(() => '');
    if (response.status === 401 || response.status === 403) {
      throw new AppError('CONNECTOR_KEY_REJECTED', `${hostOf(request.url)} refused the admin key (${response.status}): ${providerMessage(body)}`, providerRefusal(response.status));
    }
    if (response.status === 429 || response.status >= 500) {
      lastProblem = `${response.status}: ${providerMessage(body)}`;
      if (attempt + 1 < retry.maxAttempts) await wait(retryAfterMs(response.headers.get('retry-after'), retry) ?? backoffMs(retry, attempt), signal);
      continue;
    }
    throw new AppError('CONNECTOR_PROVIDER_INVALID', `${hostOf(request.url)} answered ${response.status}: ${providerMessage(body)}`, providerRefusal(response.status));
  }
  throw new AppError('CONNECTOR_PROVIDER_UNAVAILABLE', `${hostOf(request.url)} still failing after ${retry.maxAttempts} attempts (${lastProblem})`);
}

/** The provider's own status on a refusal (AppError details), for a caller that treats one apart (Anthropic's 404/403 on an API the org lacks). */
export interface ProviderRefusal {
  providerStatus: number;
}

function providerRefusal(status: number): ProviderRefusal {
  return { providerStatus: status };
}

/** The provider status of a refusal getProviderJson threw, or null for any other error. */
export function providerStatusOf(error: unknown): number | null {
  if (!(error instanceof AppError)) return null;
  const status = (error.details as Partial<ProviderRefusal> | undefined)?.providerStatus;
  return typeof status === 'number' ? status : null;
}

/** A wait that ends with the signal's own reason when it aborts (shutdown, a lost lease), so callers can tell why. */
async function wait(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    signal.throwIfAborted();
    throw error;
  }
}

function backoffMs(retry: RetryPolicy, attempt: number): number {
  return Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
}

/** Retry-After as delta-seconds or an HTTP date; null when absent or unreadable. Capped by the policy. */
export function retryAfterMs(header: string | null, retry: Pick<RetryPolicy, 'maxDelayMs'>): number | null {
  if (header === null) return null;
  const seconds = Number(header.trim());
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  if (!Number.isFinite(ms)) return null;
  return Math.min(retry.maxDelayMs, Math.max(0, ms));
}

/** The provider's error message (both wrap it as {error: {message}}), cut short; the body never holds the key. */
function providerMessage(body: string): string {
  try {
    const message = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return message.slice(0, 300);
  } catch {
    // not JSON: the text itself
  }
  return body.slice(0, 300) || 'no message';
}

function hostOf(url: string): string {
  return new URL(url).host;
}
