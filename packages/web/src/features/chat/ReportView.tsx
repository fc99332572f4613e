import type { Report } from '@tally/protocol';
import { formatCompact, formatCount, formatPercent, formatUsd } from '../../format.js';
import { CostByModelChart } from './CostByModelChart.js';

/** The figures of a completed run: totals, recommendations with their savings, cost by model. */
export function ReportView({ report }: { report: Report }) {
  const t = report.totals;
  return (
    <section className="report" aria-label="Report">
      {report.mode === 'offline' && (
        <p className="badge" title="No LLM is configured: the analysis is real, the wording comes from templates.">
          Offline mode: template-written answer
        </p>
      )}
      <dl className="figures">
        <Figure label="Spend" value={formatUsd(t.costUsd)} sub={report.period ? `${report.period.days} days` : undefined} />
        <Figure label="Per month" value={formatUsd(t.monthlyCostUsd)} />
        <Figure label="Potential saving" value={`${formatUsd(report.totalProjectedMonthlySavingUsd)}/mo`} highlight />
        <Figure label="Requests" value={formatCount(t.requests)} sub={`${formatPercent(t.errorRate)} errors`} />
        <Figure label="Tokens in / out" value={`${formatCompact(t.inputTokens + t.cacheReadTokens + t.cacheWriteTokens)} / ${formatCompact(t.outputTokens)}`} />
      </dl>
      {report.recommendations.length > 0 && (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th>Recommendation</th>
                <th>Scope</th>
                <th className="num">Spend/mo</th>
                <th className="num">Saving/mo</th>
                <th>Confidence</th>
                <th>Quality risk</th>
              </tr>
            </thead>
            <tbody>
              {[...report.recommendations]
                .sort((a, b) => b.projectedMonthlySavingUsd - a.projectedMonthlySavingUsd)
                .map((r) => (
                  <tr key={r.id}>
                    <td title={r.rationale}>{r.title}</td>
                    <td className="scope">{r.scope}</td>
                    <td className="num">{formatUsd(r.currentMonthlyCostUsd)}</td>
                    <td className="num good">{formatUsd(r.projectedMonthlySavingUsd)}</td>
                    <td>{r.confidence}</td>
                    <td>{r.qualityRisk}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
      <CostByModelChart rows={report.breakdowns.byModel} />
      {report.unpricedModels.length > 0 && (
        <p className="notice">Not priced (unknown to the catalog): {report.unpricedModels.join(', ')}</p>
      )}
    </section>
  );
}

function Figure({ label, value, sub, highlight }: { label: string; value: string; sub?: string | undefined; highlight?: boolean }) {
  return (
    <div className={highlight ? 'figure highlight' : 'figure'}>
      <dt>{label}</dt>
      <dd>
        {value}
        {sub && <small>{sub}</small>}
      </dd>
    </div>
  );
}
