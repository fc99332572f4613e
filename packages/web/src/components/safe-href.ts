/** Only these schemes become links; anything else (javascript:, data:, vbscript:) stays text. */
export function safeHref(href: string): string | null {
  const h = href.trim();
  return /^(https?:\/\/|mailto:)/i.test(h) ? h : null;
}
