import { useCallback, useMemo, useState } from 'react';
import type { Workspace } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { ROLE_LABELS } from '../workspaces/role-labels.js';
import { useHashQuery } from './use-hash-query.js';
import { UsageDashboard } from './UsageDashboard.js';
import { parseUsageFilters, writeUsageFilters } from './usage-filters.js';
import { UsageUpload } from './UsageUpload.js';
import { useUsageChanges } from './use-usage-changes.js';
import './usage.css';

export interface UsagePageProps {
  api: TallyApi;
  /** Whose usage: uploads go to it, the dashboard reads it. */
  workspace: Workspace;
  origin: string;
}

/** Usage of the current workspace: upload (for the roles that may) and the spend dashboard (route `#/usage`, filters in its query). */
export function UsagePage({ api, workspace, origin }: UsagePageProps) {
  const [query, setQuery] = useHashQuery();
  const [version, setVersion] = useState(0);
  const filters = useMemo(() => parseUsageFilters(query), [query]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  // New usage stored anywhere (an exporter, a connector, another tab's upload): the figures read again, no reload.
  useUsageChanges(api, workspace.id, reload);
  return (
    <section className="page usage-page" aria-labelledby="usage-title">
      <h1 id="usage-title">Usage</h1>
      {workspace.permissions.includes('usage.upload') ? (
        <UsageUpload
          origin={origin}
          workspaceId={workspace.id}
          getAccessToken={() => api.session.getAccessToken()}
          onUploaded={reload}
          onRefused={(error) => {
            if (error.code === 'WORKSPACE_NOT_FOUND' || error.code === 'WORKSPACE_FORBIDDEN') api.refusals.report({ workspaceId: workspace.id, code: error.code });
          }}
        />
      ) : (
        <p className="muted" data-testid="upload-not-allowed">
          Uploading usage to {workspace.name} needs the member role; yours is {ROLE_LABELS[workspace.role].toLowerCase()}.
        </p>
      )}
      <UsageDashboard api={api} workspaceId={workspace.id} filters={filters} onFiltersChange={(next) => setQuery(writeUsageFilters(next))} version={version} />
    </section>
  );
}
