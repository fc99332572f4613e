import { createAnthropicAdminClient } from './anthropic-admin-client.js';
import { createAnthropicAnalyticsClient } from './anthropic-analytics-client.js';
import type { ProviderClient } from './provider-client.js';
import { providerStatusOf } from './provider-http.js';

/** The Analytics API's answers that mean "not for this org or key", not "this request is wrong". */
const NOT_ENABLED = new Set([403, 404]);

/**
 * The Anthropic connector: the Usage and Cost Analytics API first (Anthropic's recommended one),
 * the legacy usage and cost reports when it answers 404 (not enabled for the organization) or 403
 * (the key lacks it). Both kinds always come from the one API that answered, never a mix: the two
 * name cost line items differently, so mixing would store one day's spend under two keys. Which
 * API answered is the fetch's `sourceApi`. Any other failure (401, 400, 5xx after retries) is
 * the Analytics API's own error, not hidden by a fallback.
 */
export function createAnthropicClient(baseUrl: string): ProviderClient {
  const analytics = createAnthropicAnalyticsClient(baseUrl);
  const legacy = createAnthropicAdminClient(baseUrl);
  return {
    async fetchBuckets(context) {
      try {
        return await analytics.fetchBuckets(context);
      } catch (error) {
        const status = providerStatusOf(error);
        if (status === null || !NOT_ENABLED.has(status)) throw error;
        return legacy.fetchBuckets(context);
      }
    },
  };
}
