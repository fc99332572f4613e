export interface MultiSelectProps {
  label: string;
  options: readonly string[];
  selected: readonly string[];
  onChange(selected: string[]): void;
}

/**
 * A labelled list of checkboxes that folds into a button-like summary: native <details>, so it
 * opens with Enter or Space and every option is a real checkbox to screen readers.
 */
export function MultiSelect({ label, options, selected, onChange }: MultiSelectProps) {
  const chosen = new Set(selected);
  const summary = selected.length === 0 ? 'All' : selected.length === 1 ? selected[0] : `${selected.length} selected`;
  const toggle = (option: string, on: boolean) => onChange(options.filter((o) => (o === option ? on : chosen.has(o))));
  return (
    <details className="multi-select">
      <summary>
        <span className="filter-label">{label}</span> <span className="multi-select-value">{summary}</span>
      </summary>
      <fieldset>
        <legend className="visually-hidden">{label}</legend>
        {options.length === 0 && <p className="hint">None yet</p>}
        {options.map((option) => (
          <label key={option} className="check">
            <input type="checkbox" checked={chosen.has(option)} onChange={(e) => toggle(option, e.target.checked)} />
            <span>{option}</span>
          </label>
        ))}
        {selected.length > 0 && (
          <button type="button" className="small" onClick={() => onChange([])}>
            All {label.toLowerCase()}
          </button>
        )}
      </fieldset>
    </details>
  );
}
