import type { ReactNode } from 'react';

/** A search hit's snippet with each occurrence of the searched text marked (case-insensitively). */
export function SearchSnippet({ text, query }: { text: string; query: string }) {
  const q = query.trim();
  const parts: ReactNode[] = [];
  if (q) {
    const lower = text.toLowerCase();
    const needle = q.toLowerCase();
    let from = 0;
    for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
      if (at > from) parts.push(text.slice(from, at));
      parts.push(<mark key={at}>{text.slice(at, at + q.length)}</mark>);
      from = at + q.length;
    }
    if (from < text.length) parts.push(text.slice(from));
  } else {
    parts.push(text);
  }
  return <span className="thread-snippet">{parts}</span>;
}
