import type { ConnectorProvider, Reconciliation, UsageSourceSetting, Workspace } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { ChartView } from '../../components/ChartView.js';
import { LoadState } from '../../components/LoadState.js';
import { formatUsd } from '../../components/money.js';
import { useAction } from '../../components/use-action.js';
import { useLoaded } from '../../components/use-loaded.js';
import { causeLine, computedVsBilledChart, signedPct, signedUsd, sourceLabel } from './reconciliation-view.js';
import './reconciliation.css';

const SETTINGS: Array<[UsageSourceSetting, string]> = [
  ['auto', 'Automatic (the bill on complete days)'],
  ['billing', 'The bill'],
  ['requests', 'The logs'],
];

/**
 * Reconciliation (route `#/reconciliation`): per provider, Tally's cost computed from the
 * workspace's logs next to the provider's bill, with the difference and its likely causes, per day
 * and per model; admins and owners choose which source the totals use.
 */
export function ReconciliationPage({ api, workspace }: { api: TallyApi; workspace: Workspace }) {
  const [state, reload] = useLoaded(() => api.rest.reconciliation.reconciliation(workspace.id));
  const canChoose = workspace.permissions.includes('settings.manage');
  return (
    <section className="page reconciliation-page" aria-labelledby="reconciliation-title">
      <h1 id="reconciliation-title">Reconciliation</h1>
      <p className="hint">Tally's cost computed from your logs against your providers' own bills, per day and model where the bill has one.</p>
      <LoadState state={state} what="the reconciliation">
        {(r) => (r.providers.length === 0 ? <p className="card muted">No usage yet from a provider Tally fetches bills for (OpenAI, Anthropic).</p> : <Report r={r} api={api} workspace={workspace} canChoose={canChoose} onChanged={reload} />)}
      </LoadState>
    </section>
  );
}

function Report({ r, api, workspace, canChoose, onChanged }: { r: Reconciliation; api: TallyApi; workspace: Workspace; canChoose: boolean; onChanged(): void }) {
  const action = useAction();
  const choose = (provider: ConnectorProvider, setting: UsageSourceSetting) =>
    void action.run(async () => {
      await api.rest.reconciliation.setUsageSource(workspace.id, provider, setting);
      onChanged();
    });
  return (
    <>
      {!r.hasBilling && (
        <p className="card notice" role="note">
          No provider bill stored yet: add a connector (an admin key of OpenAI or Anthropic) in this workspace's settings, and the bill shows here after its first sync.
        </p>
      )}
      <section className="card" aria-label="Summary per provider">
        <div className="table-scroll">
          <table className="settings-table" aria-label="Providers">
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col" className="num">Computed</th>
                <th scope="col" className="num">Billed</th>
                <th scope="col" className="num">Difference</th>
                <th scope="col" className="num">Total counted</th>
                <th scope="col">Source of totals</th>
              </tr>
            </thead>
            <tbody>
              {r.providers.map((p) => (
                <tr key={p.provider} data-provider={p.provider}>
                  <th scope="row" data-label="Provider">{p.provider}</th>
                  <td data-label="Computed" className="num">{formatUsd(p.computedUsd)}</td>
                  <td data-label="Billed" className="num">{p.billedUsd === null ? 'no bill' : formatUsd(p.billedUsd)}</td>
                  <td data-label="Difference" className="num">{signedUsd(p.differenceUsd)}{signedPct(p.differencePct)}</td>
                  <td data-label="Total counted" className="num">{formatUsd(p.totalUsd)}</td>
                  <td data-label="Source">
                    <span data-testid={`source-${p.provider}`}>{sourceLabel(p)}</span>
                    {canChoose && (p.provider === 'openai' || p.provider === 'anthropic') && (
                      <label className="source-choice">
                        <select aria-label={`Source of ${p.provider} totals`} value={p.setting} disabled={action.busy} onChange={(e) => choose(p.provider as ConnectorProvider, e.target.value as UsageSourceSetting)}>
                          {SETTINGS.map(([value, label]) => (
                            <option key={value} value={value}>{label}</option>
                          ))}
                        </select>
                      </label>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {action.error && <p className="error" role="alert">{action.error}</p>}
        <p className="hint">Computed and billed are compared over the days the bill covers. Each day of a total is counted from one source, never both.</p>
      </section>
      {r.providers.filter((p) => p.billedUsd !== null).map((p) => (
        <div className="chart-card wide" key={p.provider}>
          <ChartView chart={computedVsBilledChart(r, p.provider)} />
        </div>
      ))}
      <section className="card" aria-label="Per model and day">
        <div className="table-scroll">
          <table className="settings-table reconciliation-lines" aria-label="Per model and day">
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Provider</th>
                <th scope="col">Model</th>
                <th scope="col" className="num">Computed</th>
                <th scope="col" className="num">Billed</th>
                <th scope="col" className="num">Difference</th>
                <th scope="col">Likely causes</th>
              </tr>
            </thead>
            <tbody>
              {r.lines.map((l) => (
                <tr key={`${l.provider}\u0000${l.day}\u0000${l.model ?? ''}`} data-day={l.day} data-model={l.model ?? ''} data-provider={l.provider}>
                  <td data-label="Day">{l.day}</td>
                  <td data-label="Provider">{l.provider}</td>
                  <td data-label="Model">{l.model ?? (l.causes.length > 0 || l.billedUsd !== null ? 'not by model' : '—')}</td>
                  <td data-label="Computed" className="num">{formatUsd(l.computedUsd)}</td>
                  <td data-label="Billed" className="num">{l.billedUsd === null ? '—' : formatUsd(l.billedUsd)}</td>
                  <td data-label="Difference" className="num">{signedUsd(l.differenceUsd)}</td>
                  <td data-label="Causes">{l.partial ? 'Billed so far: the provider is still billing this day, so it is not compared yet.' : l.causes.map(causeLine).join('; ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
