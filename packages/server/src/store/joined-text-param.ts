/**
 * A text statement parameter given as the parts it is made of: `prefix`, the segments joined by
 * `separator`, then `suffix`. The parts are only concatenated by whoever sends the statement to
 * the database, so a large parameter (an insert's rows as one JSON array, from several export
 * requests) is never copied into one new string on the main thread of an embedded node:
 * - PGlite (its database thread): posted to the thread, the object arrives as plain data
 *   (`{ joinedText }`, its method left behind) and the thread joins the parts
 *   (pglite-prepared-statements.ts);
 * - PostgreSQL (node-postgres, on the main thread): pg asks an object parameter for
 *   `toPostgres()`, which joins them; one string, as the parameter always was there.
 */
export class JoinedTextParam {
  readonly joinedText: { readonly prefix: string; readonly segments: readonly string[]; readonly separator: string; readonly suffix: string };

  constructor(prefix: string, segments: readonly string[], separator: string, suffix: string) {
    this.joinedText = { prefix, segments, separator, suffix };
  }

  /** node-postgres's hook for an object parameter. */
  toPostgres(): string {
    return joinedTextOf(this)!;
  }
}

/** The text a JoinedTextParam (or its copy posted to a thread) stands for; undefined for any other value. */
export function joinedTextOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (!(value instanceof JoinedTextParam) && (Object.getPrototypeOf(value) !== Object.prototype || Object.keys(value).length !== 1)) return undefined;
  const parts = (value as { joinedText?: unknown }).joinedText as JoinedTextParam['joinedText'] | undefined;
  if (typeof parts !== 'object' || parts === null || !Array.isArray(parts.segments)) return undefined;
  return parts.prefix + parts.segments.join(parts.separator) + parts.suffix;
}

/** The parameter as a database driver that takes strings is given it. */
export function withJoinedText(value: unknown): unknown {
  return joinedTextOf(value) ?? value;
}
