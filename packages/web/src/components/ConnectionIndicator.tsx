import { useEffect, useState } from 'react';
import type { ConnectionInfo, ConnectionStatus, WsClient } from '@tally/client';

const LABELS: Record<ConnectionStatus | 'offline', string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
  offline: 'Offline',
};

/**
 * A dot and a word (never colour alone) for the live connection: connected, reconnecting, or
 * offline when the browser says the network is gone; offers a retry once the client gave up.
 */
export function ConnectionIndicator({ ws }: { ws: WsClient }) {
  const [state, setState] = useState<{ status: ConnectionStatus; info: ConnectionInfo }>({ status: ws.status, info: {} });
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const off = ws.on('status', (status, info) => setState({ status, info }));
    // The socket may have opened between the first render and this effect (right after a log-in it
    // often does): that change was not heard, and the indicator would say "Connecting…" for good.
    setState((shown) => (shown.status === ws.status ? shown : { status: ws.status, info: {} }));
    return off;
  }, [ws]);
  useEffect(() => {
    const goOnline = () => {
      setOnline(true);
      // Back on the network: try now rather than at the end of the backoff.
      if (ws.status === 'closed') void ws.connect().catch(() => undefined);
    };
    const goOffline = () => setOnline(false);
    window.addEventListener('online', goOnline);
    window.addEventListener('offline', goOffline);
    return () => {
      window.removeEventListener('online', goOnline);
      window.removeEventListener('offline', goOffline);
    };
  }, [ws]);
  const { status, info } = state;
  const shown = !online && status !== 'open' ? 'offline' : status;
  const title = [info.reason, info.retryInMs !== undefined ? `next try in ${Math.ceil(info.retryInMs / 1000)} s` : '']
    .filter(Boolean)
    .join('; ');
  return (
    <span className={`connection connection-${shown}`} title={title || LABELS[shown]} role="status" aria-live="polite" aria-label={`Connection: ${LABELS[shown]}`}>
      <span className="connection-dot" aria-hidden="true" />
      <span className="connection-label">{LABELS[shown]}</span>
      {status === 'closed' && (
        <button type="button" className="link-button" onClick={() => void ws.connect().catch(() => undefined)}>
          retry
        </button>
      )}
    </span>
  );
}
