import { useCallback, useEffect, useState } from 'react';
import { parseRoute, routeHash, type Route } from './route.js';

/** The current route, following the hash (back/forward, links); navigate() pushes a history entry. */
export function useHashRoute(location: Location, history: History): { route: Route; navigate: (route: Route, replace?: boolean) => void } {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, [location]);
  const navigate = useCallback(
    (next: Route, replace = false) => {
      const hash = routeHash(next);
      if (location.hash !== hash) {
        // pushState/replaceState do not fire hashchange, so the state is set here too.
        if (replace) history.replaceState(null, '', hash);
        else history.pushState(null, '', hash);
      }
      setRoute(next);
    },
    [location, history],
  );
  return { route, navigate };
}
