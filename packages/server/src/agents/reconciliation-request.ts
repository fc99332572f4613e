/**
 * Whether a message asks to check the provider's bill against the logs (issue 18): "does our
 * bill match our logs?", "reconcile", "compare the invoice", "billed vs computed". A pure function
 * of the lower-cased message; such a question is answered by the reconciliation, not an analysis.
 */
const RECONCILIATION = [
  /\breconcil\w*/,
  /\binvoices?\b/,
  /\bbill(s|ed|ing)?\b.*\b(match|matches|agree|differ\w*|logs?|computed|records?)\b/,
  /\b(match|matches|agree|differ\w*|logs?|computed|records?)\b.*\bbill(s|ed|ing)?\b/,
  /\bbilled (vs\.?|versus|against|and) (computed|logged)\b/,
  /\b(computed|logged) (vs\.?|versus|against|and) billed\b/,
];

export function asksForReconciliation(t: string): boolean {
  return RECONCILIATION.some((p) => p.test(t));
}
