import { useState, type FormEvent } from 'react';
import type { User, Workspace } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { LoadState } from '../../components/LoadState.js';
import { useAction } from '../../components/use-action.js';
import { useLoaded } from '../../components/use-loaded.js';
import { routeHash } from '../shell/route.js';
import { ROLE_LABELS } from './role-labels.js';
import { WorkspaceDetail } from './WorkspaceDetail.js';
import '../settings/settings.css';
import './workspaces.css';

export interface WorkspacesPageProps {
  api: TallyApi;
  user: User;
  /** The workspace whose members are open (`#/workspaces/<id>`); null: the first one. */
  workspaceId: string | null;
  onOpen(workspaceId: string | null): void;
}

/**
 * Workspaces (route `#/workspaces`): mine with my role, a new team workspace, and one workspace's
 * members, invitations and audit log. Usage, threads and runs are not scoped to workspaces yet, so
 * nothing here switches what the other pages show.
 */
export function WorkspacesPage({ api, user, workspaceId, onOpen }: WorkspacesPageProps) {
  const [list, reload] = useLoaded(() => api.rest.workspaces.list());
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();

  function create(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      const created = await api.rest.workspaces.create(name.trim());
      setName('');
      reload();
      onOpen(created.id);
    });
  }

  return (
    <section className="page settings-page workspaces-page" aria-labelledby="workspaces-title">
      <h1 id="workspaces-title">Workspaces</h1>
      <div className="settings-columns">
        <section className="card settings-section" aria-labelledby="my-workspaces-title">
          <h2 id="my-workspaces-title">My workspaces</h2>
          <LoadState state={list} what="your workspaces">
            {(workspaces) => (
              <ul className="workspace-list">
                {workspaces.map((w) => (
                  <li key={w.id}>
                    <a
                      href={routeHash({ page: 'workspaces', workspaceId: w.id })}
                      className={w.id === openId(workspaces, workspaceId) ? 'workspace-link active' : 'workspace-link'}
                      aria-current={w.id === openId(workspaces, workspaceId) ? 'page' : undefined}
                    >
                      <span className="workspace-name">{w.name}</span>
                      <span className="muted">{w.personal ? 'Personal' : ROLE_LABELS[w.role]}</span>
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </LoadState>
        </section>
        <section className="card settings-section" aria-labelledby="new-workspace-title">
          <h2 id="new-workspace-title">New team workspace</h2>
          <p className="hint">You become its owner and can invite colleagues with a role.</p>
          <form className="settings-form" onSubmit={create} aria-label="Create a team workspace">
            <label>
              Workspace name
              <input value={name} required maxLength={100} placeholder="Platform team" onChange={(e) => setName(e.target.value)} />
            </label>
            <div className="form-actions">
              <button type="submit" className="primary" disabled={busy || name.trim() === ''}>Create workspace</button>
            </div>
          </form>
          {error && <p className="error" role="alert">{error}</p>}
        </section>
      </div>
      {list.kind === 'loaded' && (() => {
        const open = list.value.find((w) => w.id === openId(list.value, workspaceId));
        if (!open) return workspaceId ? <p className="error" role="alert">Workspace not found, or you are no longer a member.</p> : null;
        return (
          <WorkspaceDetail
            key={open.id}
            api={api}
            user={user}
            workspace={open}
            onLeft={() => {
              reload();
              onOpen(null);
            }}
            onChanged={reload}
          />
        );
      })()}
    </section>
  );
}

/** The workspace the page opens: the one in the address, else the first (the personal one). */
function openId(workspaces: Workspace[], workspaceId: string | null): string | undefined {
  return workspaceId ?? workspaces[0]?.id;
}
