import type { z } from 'zod';
import { UNSAFE_TEXT_MESSAGE, describeInputIssues, unsafeTextPath } from '@tally/protocol';
import { AppError } from '../app-error.js';

/**
 * Parses request input with a protocol schema; a mismatch is a VALIDATION_FAILED naming the
 * fields. The input rule (protocol safe-text.ts) is applied to the whole input first, so a field
 * whose schema forgot it still cannot carry a NUL byte or a lone surrogate to the database.
 * Bodies, params and query strings all come through here (query schemas: protocol rest/query.ts).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const unsafe = unsafeTextPath(value);
  if (unsafe !== null) throw new AppError('VALIDATION_FAILED', `Invalid request: ${unsafe}: ${UNSAFE_TEXT_MESSAGE}`, [{ path: unsafe, message: UNSAFE_TEXT_MESSAGE }]);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { message, issues } = describeInputIssues(result.error);
  throw new AppError('VALIDATION_FAILED', message, issues);
}
