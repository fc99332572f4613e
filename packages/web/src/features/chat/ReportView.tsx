import { leastConfidence, type Chart, type PlanStep, type Recommendation, type Report, type StrategyName } from '@tally/protocol';
import { ChartView } from '../../components/ChartView.js';
import { formatUsd } from '../../components/money.js';
import { formatCompact, formatCount, formatPercent } from '../../format.js';
import { inputSideTokens, tokenMixDetail } from '../../components/token-mix.js';

/**
 * The figures of a completed run: totals, the savings headline split by quality risk (savings that
 * keep the model apart from model switches, each with its confidence), recommendations, the plan and
 * the charts. A focused report (a question about one part, later in a thread) shows that part only:
 * the full report and plan were shown once already, and come again when asked for.
 */
export function ReportView({ report }: { report: Report }) {
  const t = report.totals;
  const focused = report.depth === 'focused';
  const recommendations = [...report.recommendations]
    .filter((r) => r.projectedMonthlySavingUsd > 0)
    .filter((r) => !focused || (report.focus !== null && report.focus !== undefined && r.strategy === report.focus))
    .sort((a, b) => b.projectedMonthlySavingUsd - a.projectedMonthlySavingUsd);
  const byId = new Map(report.recommendations.map((r) => [r.id, r]));
  const charts = focused ? focusedCharts(report) : report.charts.length > 0 ? report.charts : fallbackCharts(report);
  const plan = focused ? [] : [...report.plan].filter((s) => s.projectedMonthlySavingUsd > 0).sort((a, b) => a.order - b.order);
  return (
    <section className="report" aria-label="Report">
      {report.mode === 'offline' && (
        <p className="badge" title="No LLM is configured: the analysis is real, the wording comes from templates.">
          Offline mode: template-written answer
        </p>
      )}
      <dl className="figures">
        <Figure label="Spend" value={formatUsd(t.costUsd)} sub={report.period ? `${report.period.days} days` : undefined} />
        <Figure label="Per month" value={formatUsd(t.monthlyCostUsd)} sub={report.projection?.rough ? 'rough: under a week of data' : undefined} />
        {focused ? (
          <FocusFigure report={report} recommendations={recommendations} />
        ) : report.savings ? (
          <>
            {report.savings.withoutModelChange.recommendations > 0 && (
              <Figure
                label="Saving, same models"
                value={`${formatUsd(report.savings.withoutModelChange.monthlySavingUsd)}/mo`}
                sub={`confidence ${report.savings.withoutModelChange.confidence}; answers unchanged`}
                highlight
              />
            )}
            {report.savings.modelSwitches.recommendations > 0 && (
              <Figure
                label="Model switches"
                value={`+${formatUsd(report.savings.modelSwitches.monthlySavingUsd)}/mo`}
                sub={`confidence ${report.savings.modelSwitches.confidence}; check quality first`}
              />
            )}
          </>
        ) : (
          <Figure label="Potential saving" value={`${formatUsd(report.totalProjectedMonthlySavingUsd)}/mo`} highlight />
        )}
        <Figure label="Requests" value={formatCount(t.requests)} sub={`${formatPercent(t.errorRate)} errors`} />
        <Figure label="Tokens in / out" value={`${formatCompact(inputSideTokens(t))} / ${formatCompact(t.outputTokens)}`} sub={tokenMixDetail(t, formatCompact)} />
      </dl>
      {recommendations.length > 0 && (
        // Focusable: on a phone the table scrolls sideways, and the keyboard must be able to scroll it.
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Recommendations">
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
      {plan.length > 0 && (
        <div className="plan">
          <h4>Plan</h4>
          <ol>
            {plan.map((step) => (
              <li key={step.order}>
                {step.action} <span className="muted">({planDetails(step, byId.get(step.recommendationId))})</span>
              </li>
            ))}
          </ol>
        </div>
      )}
      {!focused && report.findings && report.findings.length > 0 && (
        <div className="plan">
          <h4>Also found (no money to save)</h4>
          <ul>
            {report.findings.map((f) => (
              <li key={f.id} title={f.rationale}>
                {f.title}
              </li>
            ))}
          </ul>
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

/** A plan line's figure with what stands beside it everywhere: its confidence and quality risk. */
export function planDetails(step: PlanStep, rec: Recommendation | undefined): string {
  const confidence = step.confidence ?? rec?.confidence;
  const risk = step.qualityRisk ?? rec?.qualityRisk;
  return [
    rec ? rec.title : null,
    `saves ${formatUsd(step.projectedMonthlySavingUsd)}/mo`,
    confidence ? `confidence ${confidence}` : null,
    risk ? `quality risk ${risk}` : null,
    `${step.effort} effort`,
    step.group === 'model_switch' ? 'check quality first' : null,
  ]
    .filter((p) => p !== null)
    .join('; ');
}

/** The saving of the part a focused question is about: its recommendations added (one per traffic slice, so they add). */
function FocusFigure({ report, recommendations }: { report: Report; recommendations: readonly Recommendation[] }) {
  if (!report.focus) return null;
  if (recommendations.length === 0) return <Figure label={`${FOCUS_LABELS[report.focus]} saving`} value="none found" />;
  const total = recommendations.reduce((sum, r) => sum + r.projectedMonthlySavingUsd, 0);
  return <Figure label={`${FOCUS_LABELS[report.focus]} saving`} value={`${formatUsd(total)}/mo`} sub={`confidence ${leastConfidence(recommendations)}`} highlight />;
}

const FOCUS_LABELS: Record<StrategyName, string> = {
  prompt_caching: 'Caching',
  cheaper_model: 'Model switch',
  batch_api: 'Batch API',
  error_waste: 'Failed calls',
  oversized_limits: 'Output limits',
};

/** A focused report draws the chart its question is about, if any: spend for a cost question, latency for a latency one. */
function focusedCharts(report: Report): Chart[] {
  const wanted = report.intent === 'cost_analysis' ? 'cost_by_model' : report.intent === 'latency' ? 'latency_by_model' : null;
  return wanted ? report.charts.filter((c) => c.id.startsWith(wanted)) : [];
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
