import { useEffect, useState, type FormEvent } from 'react';
import { CONNECTOR_PROVIDERS, type Connector, type ConnectorProvider, type Workspace } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { formatWhen } from '../../components/format-when.js';
import { LoadState } from '../../components/LoadState.js';
import { useAction } from '../../components/use-action.js';
import { useLoaded } from '../../components/use-loaded.js';
import { connectorState, connectorsBusy, KEY_HINTS, PROVIDER_LABELS } from './connector-status.js';
import './connectors.css';

/** How often the status is read again while a sync is under way. */
const BUSY_REFRESH_MS = 2000;

/**
 * A workspace's provider connectors (issue 18): every member sees each one's status (last success,
 * synced through, last error, next sync); admins and owners add or replace an admin key (sent once,
 * never shown again: its last 4 characters are), choose the backfill days, sync now, remove.
 */
export function ConnectorsSection({ api, workspace }: { api: TallyApi; workspace: Workspace }) {
  const manages = workspace.permissions.includes('settings.manage');
  const [connectors, reload] = useLoaded(() => api.rest.connectors.list(workspace.id));
  const [provider, setProvider] = useState<ConnectorProvider>('openai');
  const [adminKey, setAdminKey] = useState('');
  const [backfillDays, setBackfillDays] = useState(30);
  const action = useAction();

  // While a sync is under way, read the status again every few seconds.
  const busy = connectors.kind === 'loaded' && connectorsBusy(connectors.value);
  useEffect(() => {
    if (!busy) return;
    const timer = setTimeout(reload, BUSY_REFRESH_MS);
    return () => clearTimeout(timer);
  }, [busy, connectors, reload]);

  async function save(e: FormEvent) {
    e.preventDefault();
    const ok = await action.run(async () => void (await api.rest.connectors.put(workspace.id, provider, { adminKey: adminKey.trim(), backfillDays })));
    if (ok) setAdminKey('');
    reload();
  }
  const act = (work: () => Promise<unknown>) => void action.run(async () => void (await work())).then(reload);

  return (
    <section className="card settings-section" aria-labelledby="connectors-title">
      <h3 id="connectors-title">Provider connectors</h3>
      <p className="hint">
        The provider's own usage and cost figures, synced every hour into {workspace.name}: Tally checks them against your logs (Reconciliation). Use a
        read-only admin key; it is stored encrypted and never shown again.
      </p>
      {manages && (
        <form className="settings-form inline" onSubmit={save} aria-label="Add a provider connector">
          <label>
            Provider
            <select value={provider} onChange={(e) => setProvider(e.target.value as ConnectorProvider)}>
              {CONNECTOR_PROVIDERS.map((p) => (
                <option key={p} value={p}>{PROVIDER_LABELS[p]}</option>
              ))}
            </select>
          </label>
          <label>
            Admin key
            <input type="password" autoComplete="off" value={adminKey} required minLength={8} maxLength={400} onChange={(e) => setAdminKey(e.target.value)} />
          </label>
          <label>
            Backfill days
            <input type="number" min={1} max={366} value={backfillDays} onChange={(e) => setBackfillDays(Number(e.target.value))} />
          </label>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={action.busy || adminKey.trim().length < 8}>Save connector</button>
          </div>
          <p className="hint">{KEY_HINTS[provider]}</p>
        </form>
      )}
      {action.error && <p className="error" role="alert">{action.error}</p>}
      <LoadState state={connectors} what="connectors">
        {(list) =>
          list.length === 0 ? (
            <p className="muted">No connector yet.</p>
          ) : (
            <ul className="connector-list">
              {list.map((c) => (
                <ConnectorItem key={c.id} connector={c} manages={manages} busy={action.busy}
                  onSync={() => act(() => api.rest.connectors.syncNow(workspace.id, c.provider))}
                  onRemove={() => act(() => api.rest.connectors.remove(workspace.id, c.provider))} />
              ))}
            </ul>
          )
        }
      </LoadState>
    </section>
  );
}

function ConnectorItem({ connector: c, manages, busy, onSync, onRemove }: { connector: Connector; manages: boolean; busy: boolean; onSync(): void; onRemove(): void }) {
  const state = connectorState(c);
  const label = PROVIDER_LABELS[c.provider];
  return (
    <li className="connector" data-provider={c.provider} aria-label={`${label} connector`}>
      <div className="section-head">
        <strong>{label}</strong>
        <span className="muted">key …{c.keyHint ?? '????'}, backfill {c.backfillDays} days</span>
      </div>
      <p className={`connector-state ${state.tone}`} data-testid="connector-state" role={state.tone === 'error' ? 'alert' : undefined}>{state.text}</p>
      <dl className="connector-facts">
        <dt>Last success</dt>
        <dd data-testid="last-success">{c.lastSuccessAt ? formatWhen(c.lastSuccessAt) : 'never'}</dd>
        <dt>Synced through</dt>
        <dd data-testid="synced-through">{c.syncedThrough ? c.syncedThrough.slice(0, 10) : '–'}</dd>
        <dt>Next sync</dt>
        <dd>{formatWhen(c.nextSyncAt)}</dd>
      </dl>
      {manages && (
        <div className="form-actions">
          <button type="button" onClick={onSync} disabled={busy || c.syncing}>Sync now</button>
          <ConfirmButton
            label="Remove"
            ariaLabel={`Remove the ${label} connector`}
            question={`Remove the ${label} connector? Its synced figures go with it.`}
            confirmLabel="Remove connector"
            onConfirm={onRemove}
          />
        </div>
      )}
    </li>
  );
}
