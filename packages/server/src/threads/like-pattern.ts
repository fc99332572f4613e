/**
 * A LIKE/ILIKE pattern that matches `text` anywhere, with the wildcards `%` and `_` (and the
 * escape character itself) in it matched literally. Postgres's default LIKE escape is `\`.
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
