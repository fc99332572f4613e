import { useEffect, useState } from 'react';
import type { ConnectionInfo, ConnectionStatus, WsClient } from '@tally/client';

const LABELS: Record<ConnectionStatus, string> = {
  idle: 'Offline',
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

/** A dot and a word for the WebSocket's state; offers a retry once the client gave up. */
export function ConnectionIndicator({ ws }: { ws: WsClient }) {
  const [state, setState] = useState<{ status: ConnectionStatus; info: ConnectionInfo }>({ status: ws.status, info: {} });
  useEffect(() => ws.on('status', (status, info) => setState({ status, info })), [ws]);
  const { status, info } = state;
  const title = [info.reason, info.retryInMs !== undefined ? `next try in ${Math.ceil(info.retryInMs / 1000)} s` : '']
    .filter(Boolean)
    .join('; ');
  return (
    <span className={`connection connection-${status}`} title={title || LABELS[status]} role="status" aria-live="polite">
      <span className="connection-dot" aria-hidden="true" />
      {LABELS[status]}
      {status === 'closed' && (
        <button type="button" className="link-button" onClick={() => void ws.connect().catch(() => undefined)}>
          retry
        </button>
      )}
    </span>
  );
}
