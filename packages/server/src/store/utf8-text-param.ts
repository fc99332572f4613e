/**
 * A text statement parameter given as its UTF-8 bytes: a large one (an insert's rows as one JSON
 * array) then reaches the database without ever being a JavaScript string on the main thread.
 * - PostgreSQL (node-postgres, on the main thread): pg asks an object parameter for `toPostgres()`,
 *   which decodes it; one string, as the parameter always was.
 * - PGlite (its database thread): posted to the thread, the object arrives as plain data
 *   (`{ utf8Text }`: the bytes copied, the method left behind), and the thread binds the bytes as
 *   they are (pglite-prepared-statements.ts): for json and text, a value's binary form is its text.
 */
export class Utf8TextParam {
  constructor(readonly utf8Text: Uint8Array) {}

  /** node-postgres's hook for an object parameter. */
  toPostgres(): string {
    return Buffer.from(this.utf8Text.buffer, this.utf8Text.byteOffset, this.utf8Text.byteLength).toString('utf8');
  }
}

/** The bytes of a Utf8TextParam, or of its copy posted to a thread; undefined for any other value. */
export function utf8TextOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Utf8TextParam) return value.utf8Text;
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const keys = Object.keys(value);
  const bytes = (value as { utf8Text?: unknown }).utf8Text;
  return keys.length === 1 && bytes instanceof Uint8Array ? bytes : undefined;
}

/** The parameter as a string: what a driver that takes only strings is given. */
export function decodeUtf8TextParam(value: unknown): unknown {
  const bytes = utf8TextOf(value);
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : value;
}
