import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createSavedSession } from './api/saved-session.js';
import { createTallyApi } from './api/tally-api.js';
import { App } from './App.js';
import './styles.css';

// The composition root: the browser's WebSocket, storage and origin are handed in here, once.
const origin = window.location.origin;
const saved = createSavedSession({ shared: window.localStorage, tab: window.sessionStorage });
const api = createTallyApi({ origin, WebSocket: window.WebSocket, saved });

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App api={api} saved={saved} origin={origin} />
  </StrictMode>,
);
