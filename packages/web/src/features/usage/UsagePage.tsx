import { useMemo, useState } from 'react';
import type { User } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { useHashQuery } from './use-hash-query.js';
import { UsageDashboard } from './UsageDashboard.js';
import { parseUsageFilters, writeUsageFilters } from './usage-filters.js';
import { UsageUpload } from './UsageUpload.js';
import './usage.css';

export interface UsagePageProps {
  api: TallyApi;
  user: User;
  origin: string;
}

/** Usage: upload and the spend dashboard (route `#/usage`, filters in its query). */
export function UsagePage({ api, origin }: UsagePageProps) {
  const [query, setQuery] = useHashQuery();
  const [version, setVersion] = useState(0);
  const filters = useMemo(() => parseUsageFilters(query), [query]);
  return (
    <section className="page usage-page" aria-labelledby="usage-title">
      <h1 id="usage-title">Usage</h1>
      <UsageUpload origin={origin} getAccessToken={() => api.session.getAccessToken()} onUploaded={() => setVersion((v) => v + 1)} />
      <UsageDashboard api={api} filters={filters} onFiltersChange={(next) => setQuery(writeUsageFilters(next))} version={version} />
    </section>
  );
}
