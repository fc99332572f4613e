import type { User } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { UsageUpload } from './UsageUpload.js';

export interface UsagePageProps {
  api: TallyApi;
  user: User;
  origin: string;
}

/** Usage: upload and the spend dashboard (route `#/usage`). */
export function UsagePage({ api, origin }: UsagePageProps) {
  return (
    <section className="page usage-page" aria-label="Usage">
      <UsageUpload origin={origin} getAccessToken={() => api.session.getAccessToken()} />
    </section>
  );
}
