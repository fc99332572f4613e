import { useState, type FormEvent } from 'react';
import type { PriceOverrideDto } from '@tally/protocol';
import type { TallyApi } from '../../api/tally-api.js';
import { errorMessage } from '../../format.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { LoadState } from '../../components/LoadState.js';
import { useLoaded } from '../../components/use-loaded.js';
import { EMPTY_DRAFT as EMPTY, draftOf, overrideOfDraft, type Draft } from './price-override-draft.js';
import { TableShell, type TableColumn } from '../../components/TableShell.js';

const COLUMNS: TableColumn[] = [{ label: 'Model' }, { label: 'Provider' }, { label: 'Input', numeric: true }, { label: 'Output', numeric: true }, { label: 'Cache read', numeric: true }, { label: 'Cache write', numeric: true }, { label: 'Actions', visuallyHidden: true }];

const usdPerMTok = (n: number | undefined) => (n === undefined ? '—' : `$${n}`);

/** Admin prices instead of the catalog's, USD per million tokens. */
export function PriceOverridesSection({ api }: { api: TallyApi }) {
  const [prices, , setPrices] = useLoaded(() => api.rest.admin.getPrices());
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [error, setError] = useState<string | null>(null);

  async function save(e: FormEvent) {
    e.preventDefault();
    const override = overrideOfDraft(draft);
    if (typeof override === 'string') return setError(override);
    setError(null);
    try {
      setPrices(await api.rest.admin.setPriceOverride(override));
      setDraft(EMPTY);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  async function remove(o: PriceOverrideDto) {
    setError(null);
    try {
      setPrices(await api.rest.admin.removePriceOverride(o.model, o.provider));
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  const field = (key: keyof Draft, label: string, extra: { required?: boolean; numeric?: boolean } = {}) => (
    <label>
      {label}
      <input
        value={draft[key]}
        required={extra.required}
        inputMode={extra.numeric ? 'decimal' : undefined}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
    </label>
  );

  return (
    <section className="card settings-section" aria-labelledby="prices-title">
      <h2 id="prices-title">Price overrides</h2>
      <p className="hint">USD per million tokens, used instead of the catalog for this model; every node applies a change at once; stored records keep their cost until re-priced.</p>
      <LoadState state={prices} what="prices">
        {(value) =>
          value.overrides.length === 0 ? (
            <p className="muted">No override: every price comes from the catalog.</p>
          ) : (
            <TableShell label="Price overrides" columns={COLUMNS}>
              {value.overrides.map((o) => (
                <tr key={`${o.model}|${o.provider ?? ''}`}>
                  <td data-label="Model">{o.model}</td>
                  <td data-label="Provider">{o.provider ?? 'any'}</td>
                  <td data-label="Input" className="num">{usdPerMTok(o.inputPerMTok)}</td>
                  <td data-label="Output" className="num">{usdPerMTok(o.outputPerMTok)}</td>
                  <td data-label="Cache read" className="num">{usdPerMTok(o.cacheReadPerMTok)}</td>
                  <td data-label="Cache write" className="num">{usdPerMTok(o.cacheWritePerMTok)}</td>
                  <td className="actions">
                    <button type="button" className="small" aria-label={`Edit the price of ${o.model}`} onClick={() => setDraft(draftOf(o))}>Edit</button>
                    <ConfirmButton
                      label="Remove"
                      ariaLabel={`Remove the price of ${o.model}`}
                      question={`Back to the catalog price for ${o.model}?`}
                      confirmLabel="Remove"
                      onConfirm={() => void remove(o)}
                    />
                  </td>
                </tr>
              ))}
            </TableShell>
          )
        }
      </LoadState>
      <form className="settings-form grid" onSubmit={save} aria-label="Set a price override">
        {field('model', 'Model', { required: true })}
        {field('provider', 'Provider (optional)')}
        {field('inputPerMTok', 'Input $/MTok', { required: true, numeric: true })}
        {field('outputPerMTok', 'Output $/MTok', { required: true, numeric: true })}
        {field('cacheReadPerMTok', 'Cache read $/MTok', { numeric: true })}
        {field('cacheWritePerMTok', 'Cache write $/MTok', { numeric: true })}
        <div className="form-actions">
          <button type="submit" className="primary">Save price</button>
          {draft !== EMPTY && <button type="button" onClick={() => setDraft(EMPTY)}>Clear</button>}
        </div>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
}
