import type { RestClient } from '@tally/client';

/** What GET /v1/usage/dashboard answers, as the client parses it. */
export type UsageDashboardData = Awaited<ReturnType<RestClient['usageDashboard']>>;
