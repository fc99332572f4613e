import { formatCount, formatPercent } from '../../format.js';
import { formatUsd } from '../../components/money.js';
import { allTokens, tokenMixDetail } from '../../components/token-mix.js';
import type { UsageDashboardData } from './usage-dashboard-data.js';
import { periodChange } from './period-change.js';

type Totals = UsageDashboardData['totals'];
type CostSources = UsageDashboardData['costSources'];

/** The headline figures of the filtered usage, each against the previous period when there is one. */
export function UsageTotals({ totals, previous, costSources = null }: { totals: Totals; previous: Totals | null; costSources?: CostSources }) {
  const spendSource = spendSourceDetail(costSources);
  const change = (pick: (t: Totals) => number, lowerIsBetter = true) => (previous ? periodChange(pick(totals), pick(previous), lowerIsBetter) : undefined);
  return (
    <dl className="figures usage-totals" aria-label="Totals">
      <Figure id="spend" label="Spend" value={formatUsd(totals.costUsd)} change={change((t) => t.costUsd)} {...(spendSource ? { detail: spendSource } : {})} />
      <Figure id="requests" label="Requests" value={formatCount(totals.requests)} change={change((t) => t.requests, false)} />
      <Figure id="cost-per-request" label="Cost per request" value={formatUsd(totals.costPerRequestUsd)} change={change((t) => t.costPerRequestUsd)} />
      <Figure
        id="tokens"
        label="Tokens"
        value={formatCount(allTokens(totals))}
        detail={tokenMixDetail(totals, formatCount)}
      />
      <Figure id="cache-hit-rate" label="Cache hit rate" value={formatPercent(totals.cacheHitRate)} detail="of input tokens read from a cache" change={change((t) => t.cacheHitRate, false)} />
      <Figure id="error-rate" label="Error rate" value={formatPercent(totals.errorRate)} change={change((t) => t.errorRate)} />
      <Figure
        id="unpriced"
        label="Unpriced requests"
        value={formatCount(totals.unpricedRequests)}
        {...(totals.unpricedRequests > 0 ? { detail: 'not counted in spend' } : {})}
      />
    </dl>
  );
}

function Figure({ id, label, value, detail, change }: { id: string; label: string; value: string; detail?: string; change?: ReturnType<typeof periodChange> | undefined }) {
  return (
    <div className="figure" data-total={id}>
      <dt>{label}</dt>
      <dd>
        <span className="figure-value">{value}</span>
        {change && (
          <small className={`period-change ${change.tone}`} data-change={id}>
            {change.text} vs previous period
          </small>
        )}
        {detail && <small>{detail}</small>}
      </dd>
    </div>
  );
}

/**
 * Where the spend figure came from when a provider's bill counts in it (issue 18): each such
 * provider's source, and the logs' own total for comparison; nothing when it is the logs' alone.
 */
export function spendSourceDetail(sources: CostSources): string | null {
  if (!sources?.applied) return null;
  const billed = sources.providers.filter((p) => p.source !== 'requests');
  if (billed.length === 0) return null;
  const parts = billed.map((p) => `${p.provider} ${p.source === 'billing' ? 'from its bill' : `bill ${formatUsd(p.fromBillingUsd)} + logs ${formatUsd(p.fromRequestsUsd)}`}`);
  return `${parts.join('; ')} (logs alone: ${formatUsd(sources.requestCostUsd)})`;
}
