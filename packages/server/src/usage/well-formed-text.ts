/**
 * The string with every lone surrogate replaced by U+FFFD, as UTF-8 encoding would. The engine's
 * own check and repair (ES2024), which leave a well-formed string as it is, without a copy.
 */
export function wellFormed(value: string): string {
  return value.isWellFormed() ? value : value.toWellFormed();
}
