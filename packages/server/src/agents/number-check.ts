/**
 * Numbers in an LLM's text that do not appear in the facts it was given. The LLM is told to copy
 * figures only; this finds where it did not, so the answer can say so. Small counts (list items,
 * "two options") are allowed, as are numbers the user wrote.
 */
export function unverifiedNumbers(text: string, ...sources: string[]): string[] {
  const allowed = new Set(sources.flatMap(numbersIn).map(canonical));
  const found = new Set<string>();
  for (const raw of numbersIn(text)) {
    const value = canonical(raw);
    if (allowed.has(value)) continue;
    const n = Number(value);
    if (Number.isInteger(n) && n >= 0 && n <= 10) continue;
    found.add(raw);
  }
  return [...found];
}

function numbersIn(text: string): string[] {
  return [...text.matchAll(/\d[\d,]*(?:\.\d+)?/g)].map((m) => m[0].replace(/,+$/, ''));
}

/** `1,234.50` and `1234.5` are the same figure. */
function canonical(raw: string): string {
  const n = Number(raw.replace(/,/g, ''));
  return Number.isFinite(n) ? String(n) : raw;
}
