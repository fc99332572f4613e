import { useState, type FormEvent } from 'react';
import type { ApiKeyScope, CreatedApiKey, Workspace } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage } from '../../format.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { formatWhen } from '../../components/format-when.js';
import { LoadState } from '../../components/LoadState.js';
import { SecretOnce } from '../../components/SecretOnce.js';
import { useLoaded } from '../../components/use-loaded.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';

const COLUMNS: TableColumn[] = [{ label: 'Name' }, { label: 'Key' }, { label: 'Scope' }, { label: 'Made by' }, { label: 'Created' }, { label: 'Last used' }, { label: 'Actions', visuallyHidden: true }];

const SCOPE_LABELS: Record<ApiKeyScope, string> = {
  'usage:write': 'Upload usage only (usage:write)',
  full: 'Read and upload, as you (full)',
};

/**
 * A workspace's keys for scripts and pipelines (its admins and owners): create (the secret shown
 * once), list with who made each, revoke. A key acts as its maker in this workspace only.
 */
export function ApiKeysSection({ api, workspace }: { api: TallyApi; workspace: Workspace }) {
  const [keys, reload] = useLoaded(() => api.rest.listApiKeys(workspace.id));
  const [name, setName] = useState('');
  const [scope, setScope] = useState<ApiKeyScope>('usage:write');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setCreated(await api.rest.createApiKey(workspace.id, { name: name.trim(), scopes: [scope] }));
      setName('');
      reload();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(id: string) {
    setError(null);
    try {
      await api.rest.revokeApiKey(workspace.id, id);
      if (created?.id === id) setCreated(null);
      reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <section className="card settings-section" aria-labelledby="api-keys-title">
      <h3 id="api-keys-title">API keys</h3>
      <p className="hint">
        For <code>tally ingest</code>, pipelines and scripts, into {workspace.name}: send as <code>Authorization: Bearer KEY</code>. A key acts as the
        member who made it, in this workspace only, and stops working if they leave.
      </p>
      <form className="settings-form inline" onSubmit={create} aria-label="Create an API key">
        <label>
          Key name
          <input value={name} required maxLength={100} placeholder="nightly export job" onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Scope
          <select value={scope} onChange={(e) => setScope(e.target.value as ApiKeyScope)}>
            {(Object.keys(SCOPE_LABELS) as ApiKeyScope[]).map((s) => (
              <option key={s} value={s}>{SCOPE_LABELS[s]}</option>
            ))}
          </select>
        </label>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy || name.trim() === ''}>Create key</button>
        </div>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {created && (
        <SecretOnce
          label={`API key “${created.name}”`}
          secret={created.key}
          warning="Copy it now: this is the only time the whole key is shown. Tally stores only its hash."
          onDismiss={() => setCreated(null)}
        />
      )}
      <LoadState state={keys} what="API keys">
        {(list) =>
          list.length === 0 ? (
            <p className="muted">No API key yet.</p>
          ) : (
            <TableShell label="API keys" columns={COLUMNS}>
              {list.map((k) => (
                <tr key={k.id} data-key-id={k.id}>
                  <td data-label="Name">{k.name}</td>
                  <td data-label="Key"><code>{k.prefix}…</code></td>
                  <td data-label="Scope" className="scope">{k.scopes.join(', ')}</td>
                  <td data-label="Made by">{k.createdBy.email}</td>
                  <td data-label="Created">{formatWhen(k.createdAt)}</td>
                  <td data-label="Last used">{k.lastUsedAt ? formatWhen(k.lastUsedAt) : 'never'}</td>
                  <td className="actions">
                    <ConfirmButton
                      label="Revoke"
                      ariaLabel={`Revoke key ${k.name}`}
                      question={`Revoke “${k.name}”? Anything using it stops working.`}
                      confirmLabel="Revoke key"
                      onConfirm={() => void revoke(k.id)}
                    />
                  </td>
                </tr>
              ))}
            </TableShell>
          )
        }
      </LoadState>
    </section>
  );
}
