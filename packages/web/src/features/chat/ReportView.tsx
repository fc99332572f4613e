import type { Chart, Report } from '@tally/protocol';
import { ChartView } from '../../components/ChartView.js';
import { formatUsd } from '../../components/money.js';
import { formatCompact, formatCount, formatPercent } from '../../format.js';

/** The figures of a completed run: totals, recommendations with their savings, the plan, the charts. */
export function ReportView({ report }: { report: Report }) {
  const t = report.totals;
  const recommendations = [...report.recommendations].sort((a, b) => b.projectedMonthlySavingUsd - a.projectedMonthlySavingUsd);
  const titles = new Map(report.recommendations.map((r) => [r.id, r.title]));
  const charts = report.charts.length > 0 ? report.charts : fallbackCharts(report);
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
      {recommendations.length > 0 && (
        <div className="table-scroll">
          <table>
            <caption className="table-caption">Recommendations</caption>
            <thead>
              <tr>
                <th scope="col">Recommendation</th>
                <th scope="col">Scope</th>
                <th scope="col" className="num">Spend/mo</th>
                <th scope="col" className="num">Saving/mo</th>
                <th scope="col">Confidence</th>
                <th scope="col">Quality risk</th>
              </tr>
            </thead>
            <tbody>
              {recommendations.map((r) => (
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
      {report.plan.length > 0 && (
        <div className="plan">
          <h4>Plan</h4>
          <ol>
            {[...report.plan]
              .sort((a, b) => a.order - b.order)
              .map((step) => (
                <li key={step.order}>
                  {step.action}{' '}
                  <span className="muted">
                    ({titles.get(step.recommendationId) ? `${titles.get(step.recommendationId)}; ` : ''}saves {formatUsd(step.projectedMonthlySavingUsd)}/mo, {step.effort} effort)
                  </span>
                </li>
              ))}
          </ol>
        </div>
      )}
      <div className="charts">
        {charts.map((chart) => (
          <ChartView key={chart.id} chart={chart} />
        ))}
      </div>
      {report.unpricedModels.length > 0 && (
        <p className="notice">Not priced (unknown to the catalog): {report.unpricedModels.join(', ')}</p>
      )}
    </section>
  );
}

/** A report stored before reports carried charts still shows where the money went. */
function fallbackCharts(report: Report): Chart[] {
  if (report.breakdowns.byModel.length === 0) return [];
  return [
    {
      id: 'cost_by_model',
      title: 'Cost by model',
      kind: 'bar',
      unit: 'USD',
      series: [{ name: 'Cost', points: [...report.breakdowns.byModel].sort((a, b) => b.costUsd - a.costUsd).map((r) => ({ x: r.key, y: r.costUsd })) }],
    },
  ];
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
