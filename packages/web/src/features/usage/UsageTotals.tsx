import { formatCount, formatPercent } from '../../format.js';
import { formatUsd } from '../../components/money.js';
import { allTokens, tokenMixDetail } from '../../components/token-mix.js';
import type { UsageDashboardData } from './usage-dashboard-data.js';

/** The headline figures of the filtered usage. */
export function UsageTotals({ totals }: { totals: UsageDashboardData['totals'] }) {
  return (
    <dl className="figures usage-totals" aria-label="Totals">
      <Figure id="spend" label="Spend" value={formatUsd(totals.costUsd)} />
      <Figure id="requests" label="Requests" value={formatCount(totals.requests)} />
      <Figure
        id="tokens"
        label="Tokens"
        value={formatCount(allTokens(totals))}
        detail={tokenMixDetail(totals, formatCount)}
      />
      <Figure id="error-rate" label="Error rate" value={formatPercent(totals.errorRate)} />
      <Figure
        id="unpriced"
        label="Unpriced requests"
        value={formatCount(totals.unpricedRequests)}
        {...(totals.unpricedRequests > 0 ? { detail: 'not counted in spend' } : {})}
      />
    </dl>
  );
}

function Figure({ id, label, value, detail }: { id: string; label: string; value: string; detail?: string }) {
  return (
    <div className="figure" data-total={id}>
      <dt>{label}</dt>
      <dd>
        <span className="figure-value">{value}</span>
        {detail && <small>{detail}</small>}
      </dd>
    </div>
  );
}
