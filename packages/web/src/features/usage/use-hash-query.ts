import { useCallback, useEffect, useState } from 'react';

/** The part of `#/route?query` after the `?`. */
export function hashQueryOf(hash: string): string {
  const at = hash.indexOf('?');
  return at < 0 ? '' : hash.slice(at + 1);
}

/**
 * The query of the page's hash route, and a setter that rewrites it in place: replaceState, so
 * each filter change is not a history entry and no hashchange makes the shell route again.
 */
export function useHashQuery(): [string, (query: string) => void] {
  const [query, setQuery] = useState(() => hashQueryOf(window.location.hash));

  useEffect(() => {
    const onChange = () => setQuery(hashQueryOf(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);

  const write = useCallback((next: string) => {
    const hash = window.location.hash;
    const route = hash.includes('?') ? hash.slice(0, hash.indexOf('?')) : hash || '#/usage';
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}${route}${next ? `?${next}` : ''}`);
    setQuery(next);
  }, []);

  return [query, write];
}
