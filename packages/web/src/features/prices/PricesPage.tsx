import { useState, type FormEvent } from 'react';
import type { TallyApi } from '../../api/tally-api.js';
import { LoadState } from '../../components/LoadState.js';
import { useLoaded } from '../../components/use-loaded.js';
import { catalogLine, perMTok, priceSource } from './price-source.js';

/**
 * Prices (route `#/prices`): each model of the user's usage, and every admin override, at the
 * price it is billed at now (USD per million tokens), and where that price comes from.
 */
export function PricesPage({ api }: { api: TallyApi }) {
  const [lookup, setLookup] = useState('');
  const [asked, setAsked] = useState<string | undefined>(undefined);
  const [list, reload] = useLoaded(() => api.rest.priceList(asked));

  const onLookup = (event: FormEvent) => {
    event.preventDefault();
    setAsked(lookup.trim() || undefined);
    reload();
  };

  return (
    <section className="page prices-page" aria-labelledby="prices-page-title">
      <h1 id="prices-page-title">Prices</h1>
      <section className="card" aria-label="Price list">
        <LoadState state={list} what="prices">
          {(value) => (
            <>
              <p className="hint" data-testid="catalog-line">{catalogLine(value.catalog)}</p>
              {Object.keys(value.discountsPercent).length > 0 && (
                <p className="hint">
                  Negotiated discounts: {Object.entries(value.discountsPercent).map(([provider, percent]) => `${provider} ${percent}%`).join(', ')}.
                </p>
              )}
              {value.models.length === 0 ? (
                <p className="muted">No models yet: upload usage, or look a model up below.</p>
              ) : (
                <div className="table-scroll">
                  <table className="settings-table" aria-label="Model prices">
                    <thead>
                      <tr>
                        <th scope="col">Model</th>
                        <th scope="col">Provider</th>
                        <th scope="col" className="num">Input</th>
                        <th scope="col" className="num">Output</th>
                        <th scope="col" className="num">Cache read</th>
                        <th scope="col" className="num">Cache write 5 min</th>
                        <th scope="col" className="num">Cache write 1 h</th>
                        <th scope="col">Source</th>
                      </tr>
                    </thead>
                    <tbody>
                      {value.models.map((m) => (
                        <tr key={`${m.model}\u0000${m.provider ?? ''}`} data-model={m.model}>
                          <th scope="row" data-label="Model">{m.model}</th>
                          <td data-label="Provider">{m.provider ?? '—'}</td>
                          <td data-label="Input" className="num">{perMTok(m.inputPerMTok)}</td>
                          <td data-label="Output" className="num">{perMTok(m.outputPerMTok)}</td>
                          <td data-label="Cache read" className="num">{perMTok(m.cacheReadPerMTok)}</td>
                          <td data-label="Cache write 5 min" className="num">{perMTok(m.cacheWritePerMTok)}</td>
                          <td data-label="Cache write 1 h" className="num">{perMTok(m.cacheWrite1hPerMTok)}</td>
                          <td data-label="Source" data-source={m.source}>{priceSource(m, value.catalog)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
              <p className="hint">USD per million tokens, as billed now. Batch calls are billed at half these prices.</p>
            </>
          )}
        </LoadState>
        <form className="inline-form" onSubmit={onLookup} aria-label="Look up a model">
          <label>
            Model id <input value={lookup} onChange={(e) => setLookup(e.target.value)} placeholder="e.g. gpt-4o" maxLength={200} />
          </label>
          <button type="submit">Look up</button>
        </form>
      </section>
    </section>
  );
}
