import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createSavedSession } from './api/saved-session.js';
import { createTallyApi } from './api/tally-api.js';
import { App } from './App.js';
import { createPendingInvitation, takeInvitationFromAddress } from './features/workspaces/pending-invitation.js';
import './styles.css';

// The composition root: the browser's WebSocket, storage and origin are handed in here, once.
const origin = window.location.origin;
const saved = createSavedSession({ shared: window.localStorage, tab: window.sessionStorage });
const api = createTallyApi({ origin, WebSocket: window.WebSocket, saved, fetch: (input, init) => window.fetch(input, init) });
// An invitation link (/join#invitation=…): its token waits in this tab until it is accepted.
takeInvitationFromAddress(window.location, window.history, window.sessionStorage);
const invitation = createPendingInvitation(window.sessionStorage);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App api={api} saved={saved} origin={origin} invitation={invitation} />
  </StrictMode>,
);
