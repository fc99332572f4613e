import { QueryValidationError, toQueryString } from '@tally/protocol';
import type { z } from 'zod';
import { TallyApiError } from './errors.js';

/**
 * A route's query string, built and checked with the route's own schema (protocol rest/query.ts):
 * a value the server would refuse is refused here, before the request, with the same
 * VALIDATION_FAILED. Call it inside an async function (or a Promise) so the error is a rejection.
 */
export function apiQuery<S extends z.ZodType>(schema: S, values: z.input<S>): string {
  try {
    return toQueryString(schema, values);
  } catch (error) {
    if (error instanceof QueryValidationError) throw new TallyApiError(400, 'VALIDATION_FAILED', error.issues.message, error.issues.issues);
    throw error;
  }
}
