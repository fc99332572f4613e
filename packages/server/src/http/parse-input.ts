import type { z } from 'zod';
import { UNSAFE_TEXT_MESSAGE, unsafeTextPath } from '@tally/protocol';
import { AppError } from '../app-error.js';

/**
 * Parses request input with a protocol schema; a mismatch is a VALIDATION_FAILED naming the
 * fields. The input rule (protocol safe-text.ts) is applied to the whole input first, so a field
 * whose schema forgot it still cannot carry a NUL byte or a lone surrogate to the database.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const unsafe = unsafeTextPath(value);
  if (unsafe !== null) throw new AppError('VALIDATION_FAILED', `Invalid request: ${unsafe}: ${UNSAFE_TEXT_MESSAGE}`, [{ path: unsafe, message: UNSAFE_TEXT_MESSAGE }]);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 5).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  throw new AppError('VALIDATION_FAILED', `Invalid request: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, issues);
}
