import { MultiSelect } from './MultiSelect.js';
import { NO_FILTERS, RANGE_PRESETS, type RangePreset, type UsageFilters } from './usage-filters.js';

const RANGE_LABELS: Record<RangePreset, string> = {
  all: 'All data',
  '7d': 'Last 7 days of data',
  '30d': 'Last 30 days of data',
  custom: 'Custom range',
};

export interface UsageFiltersBarProps {
  filters: UsageFilters;
  models: readonly string[];
  projects: readonly string[];
  /** The span of the data (days), to bound the custom range. */
  span: { from: string | null; to: string | null };
  onChange(filters: UsageFilters): void;
}

/** Time range, models and projects; every control labelled and reachable by keyboard. */
export function UsageFiltersBar({ filters, models, projects, span, onChange }: UsageFiltersBarProps) {
  const filtered = filters.range !== 'all' || filters.models.length > 0 || filters.projects.length > 0;
  return (
    <form className="usage-filters" role="search" aria-label="Usage filters" onSubmit={(e) => e.preventDefault()}>
      <label className="field">
        <span className="filter-label">Time range</span>
        <select value={filters.range} onChange={(e) => onChange({ ...filters, range: e.target.value as RangePreset })}>
          {RANGE_PRESETS.map((preset) => (
            <option key={preset} value={preset}>{RANGE_LABELS[preset]}</option>
          ))}
        </select>
      </label>
      {filters.range === 'custom' && (
        <>
          <label className="field">
            <span className="filter-label">From</span>
            <input
              type="date"
              value={filters.from ?? ''}
              min={span.from ?? undefined}
              max={filters.to ?? span.to ?? undefined}
              onChange={(e) => onChange({ ...filters, from: e.target.value || null })}
            />
          </label>
          <label className="field">
            <span className="filter-label">To</span>
            <input
              type="date"
              value={filters.to ?? ''}
              min={filters.from ?? span.from ?? undefined}
              max={span.to ?? undefined}
              onChange={(e) => onChange({ ...filters, to: e.target.value || null })}
            />
          </label>
        </>
      )}
      <MultiSelect label="Models" options={models} selected={filters.models} onChange={(list) => onChange({ ...filters, models: list })} />
      <MultiSelect label="Projects" options={projects} selected={filters.projects} onChange={(list) => onChange({ ...filters, projects: list })} />
      {filtered && (
        <button type="button" className="small" onClick={() => onChange(NO_FILTERS)}>
          Clear filters
        </button>
      )}
    </form>
  );
}
