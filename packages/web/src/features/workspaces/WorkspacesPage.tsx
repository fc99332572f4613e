import { useState, type FormEvent } from 'react';
import type { User } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { useAction } from '../../components/use-action.js';
import { routeHash } from '../shell/route.js';
import { ROLE_LABELS } from './role-labels.js';
import type { CurrentWorkspace } from './use-current-workspace.js';
import { WorkspaceDetail } from './WorkspaceDetail.js';
import '../settings/settings.css';
import './workspaces.css';

export interface WorkspacesPageProps {
  api: TallyApi;
  user: User;
  /** The caller's workspaces and the one the app shows (the switcher's). */
  workspaces: CurrentWorkspace;
  /** The workspace whose members are open (`#/workspaces/<id>`, else the current one). */
  workspaceId: string;
  onOpen(workspaceId: string | null): void;
  /** Makes a workspace the one the app shows (a team just made). */
  onUse(workspaceId: string): void;
}

/**
 * Workspaces (route `#/workspaces`): mine with my role, a new team workspace (which becomes the
 * current one), and one workspace's members, invitations, API keys and audit log.
 */
export function WorkspacesPage({ api, user, workspaces, workspaceId, onOpen, onUse }: WorkspacesPageProps) {
  const reload = () => void workspaces.reload();
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();

  function create(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      const created = await api.rest.workspaces.create(name.trim());
      setName('');
      // The list first: the switcher keeps only a workspace it lists.
      await workspaces.reload();
      onUse(created.id);
      onOpen(created.id);
    });
  }

  return (
    <section className="page settings-page workspaces-page" aria-labelledby="workspaces-title">
      <h1 id="workspaces-title">Workspaces</h1>
      <div className="settings-columns">
        <section className="card settings-section" aria-labelledby="my-workspaces-title">
          <h2 id="my-workspaces-title">My workspaces</h2>
          {workspaces.error && <p className="error" role="alert">Could not load your workspaces: {workspaces.error}</p>}
          <ul className="workspace-list">
            {workspaces.workspaces.map((w) => (
              <li key={w.id}>
                <a
                  href={routeHash({ page: 'workspaces', workspaceId: w.id })}
                  className={w.id === workspaceId ? 'workspace-link active' : 'workspace-link'}
                  aria-current={w.id === workspaceId ? 'page' : undefined}
                >
                  <span className="workspace-name">{w.name}</span>
                  <span className="muted">
                    {w.personal ? 'Personal' : ROLE_LABELS[w.role]}
                    {w.id === workspaces.current?.id && ' · current'}
                  </span>
                </a>
              </li>
            ))}
          </ul>
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
      {(() => {
        const open = workspaces.workspaces.find((w) => w.id === workspaceId);
        if (!open) return <p className="error" role="alert">Workspace not found, or you are no longer a member.</p>;
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
