import type { Bus } from '../../bus/bus.js';
import { announceUsageChanged } from '../usage-change-announcer.js';
import type { UsageIngester } from './ingest-usage.js';

/**
 * The ingester, announcing an upload that stored records (usage_changed, source `upload`) once it
 * ended: a store that writes at the session's end (ClickHouse) shows them only then. An upload
 * that failed or was stopped part way announces too, since its stored batches stay stored.
 */
export function announceIngestedUsage(ingester: UsageIngester, bus: Bus): UsageIngester {
  return {
    async ingest(workspaceId, source, options = {}) {
      let inserted = 0;
      try {
        const summary = await ingester.ingest(workspaceId, source, {
          ...options,
          onProgress: (progress) => {
            inserted = progress.inserted;
            options.onProgress?.(progress);
          },
        });
        inserted = summary.inserted;
        return summary;
      } finally {
        if (inserted > 0) announceUsageChanged(bus, workspaceId, { source: 'upload' });
      }
    },
  };
}
