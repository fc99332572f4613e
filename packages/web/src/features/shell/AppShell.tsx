import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { WsClient } from '@tally/client';
import type { User } from '@tally/protocol';
import { ConnectionIndicator } from '../../components/ConnectionIndicator.js';
import { MenuIcon } from '../../components/icons.js';
import { displayNameOf } from './display-name.js';
import { routeHash, type Route } from './route.js';

export interface AppShellProps {
  user: User;
  ws: WsClient;
  route: Route;
  onLogOut: () => void;
  /** The page's side panel (the thread list): beside the page on a laptop, a drawer on a phone. */
  sidebar?: ReactNode;
  /** What the menu button says it opens, e.g. "Threads". */
  sidebarLabel?: string;
  /** The workspace switcher, in the top bar. */
  switcher?: ReactNode;
  /** A line under the top bar the user should read (access to a workspace ended), with its dismissal. */
  notice?: { text: string; onDismiss(): void } | null;
  children: ReactNode;
}

/** The phone layout, where the sidebar is a drawer (styles.css uses the same width). */
const PHONE_QUERY = '(max-width: 640px)';

const PAGES = [
  { page: 'chat', label: 'Chat', href: routeHash({ page: 'chat', threadId: null }) },
  { page: 'usage', label: 'Usage', href: routeHash({ page: 'usage' }) },
  { page: 'reconciliation', label: 'Reconciliation', href: routeHash({ page: 'reconciliation' }) },
  { page: 'prices', label: 'Prices', href: routeHash({ page: 'prices' }) },
  { page: 'workspaces', label: 'Workspaces', href: routeHash({ page: 'workspaces', workspaceId: null }) },
  { page: 'settings', label: 'Settings', href: routeHash({ page: 'settings' }) },
] as const;

/** The frame of every signed-in page: top bar with navigation, connection and user; sidebar; the page. */
export function AppShell({ user, ws, route, onLogOut, sidebar, sidebarLabel = 'Menu', switcher, notice, children }: AppShellProps) {
  const [drawerOpen, setDrawerOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const aside = useRef<HTMLElement>(null);
  const routeKey = routeHash(route);

  // Picking a thread or a page closes the drawer: the phone shows what was picked.
  useEffect(() => setDrawerOpen(false), [routeKey]);
  useEffect(() => {
    if (!drawerOpen) return;
    // Keyboard and screen-reader users land in the drawer they opened.
    aside.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setDrawerOpen(false);
      menuButton.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    // The drawer is a phone's: a window widened past the phone layout closes it (the page would
    // otherwise stay inert behind a drawer that is no longer drawn as one).
    const phone = window.matchMedia(PHONE_QUERY);
    const onWiden = () => {
      if (!phone.matches) setDrawerOpen(false);
    };
    phone.addEventListener('change', onWiden);
    return () => {
      window.removeEventListener('keydown', onKey);
      phone.removeEventListener('change', onWiden);
    };
  }, [drawerOpen]);

  return (
    <div className={drawerOpen ? 'app drawer-open' : 'app'}>
      <a className="skip-link" href="#main-content" inert={drawerOpen}>Skip to content</a>
      <header className="topbar">
        {sidebar && (
          <button
            ref={menuButton}
            type="button"
            className="menu-button"
            aria-expanded={drawerOpen}
            aria-controls="app-sidebar"
            aria-label={sidebarLabel}
            onClick={() => setDrawerOpen((open) => !open)}
          >
            <MenuIcon /> <span className="menu-label">{sidebarLabel}</span>
          </button>
        )}
        {/* While the drawer is open, the rest of the page is inert: Tab stays in the drawer (and
            on the button that closes it), and screen readers read only the drawer. */}
        <div className="topbar-rest" inert={drawerOpen}>
        <span className="brand">Tally</span>
        <nav className="main-nav" aria-label="Main">
          {PAGES.map((p) => (
            <a key={p.page} href={p.href} className={route.page === p.page ? 'nav-link active' : 'nav-link'} aria-current={route.page === p.page ? 'page' : undefined}>
              {p.label}
            </a>
          ))}
        </nav>
        <span className="spacer" />
        {switcher}
        <ConnectionIndicator ws={ws} />
        <span className="user-name" title={user.email}>{displayNameOf(user)}</span>
        <button type="button" className="small" onClick={onLogOut}>Log out</button>
        </div>
      </header>
      {/* Always there, so screen readers announce a notice when it appears in it. */}
      <div className={notice ? 'workspace-notice' : undefined} role="status" inert={drawerOpen}>
        {notice && (
          <>
            <span>{notice.text}</span>
            <button type="button" className="small" onClick={notice.onDismiss}>Dismiss</button>
          </>
        )}
      </div>
      <div className={sidebar ? 'layout with-sidebar' : 'layout'}>
        {sidebar && (
          <>
            <aside id="app-sidebar" ref={aside} className="sidebar" aria-label={sidebarLabel} tabIndex={-1}>
              {sidebar}
            </aside>
            {drawerOpen && <div className="drawer-backdrop" aria-hidden="true" onClick={() => setDrawerOpen(false)} />}
          </>
        )}
        <main id="main-content" className="main" tabIndex={-1} inert={drawerOpen}>
          {children}
        </main>
      </div>
    </div>
  );
}
