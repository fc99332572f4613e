import { useState } from 'react';
import type { CsvMappingField, UsageMapping } from '@tally/protocol';
import { FIELD_LABELS, MAPPING_FIELDS, missingFields } from './usage-formats.js';

export interface CsvMappingFormProps {
  /** The CSV's column names, in order. */
  columns: readonly string[];
  disabled?: boolean;
  onSubmit: (mapping: UsageMapping) => void;
  onCancel: () => void;
}

/**
 * Maps the columns of a CSV no format knows to record fields: one field per column (or none), each
 * field at most once. The upload button says what is still missing until the mapping is complete.
 */
export function CsvMappingForm({ columns, disabled, onSubmit, onCancel }: CsvMappingFormProps) {
  const [mapping, setMapping] = useState<Record<string, CsvMappingField>>({});
  const used = new Set(Object.values(mapping));
  const missing = missingFields(mapping);
  return (
    <form
      className="csv-mapping"
      aria-label="CSV column mapping"
      onSubmit={(e) => {
        e.preventDefault();
        if (missing.length === 0) onSubmit(mapping);
      }}
    >
      <p className="hint">Say which column holds what; columns left on “not used” are ignored.</p>
      <table>
        <thead>
          <tr>
            <th scope="col">Column</th>
            <th scope="col">Field</th>
          </tr>
        </thead>
        <tbody>
          {columns.map((column) => (
            <tr key={column}>
              <th scope="row">{column}</th>
              <td>
                <select
                  aria-label={`Field for column ${column}`}
                  value={mapping[column] ?? ''}
                  disabled={disabled}
                  onChange={(e) => {
                    const field = e.target.value as CsvMappingField | '';
                    setMapping(({ [column]: _old, ...rest }) => (field === '' ? rest : { ...rest, [column]: field }));
                  }}
                >
                  <option value="">not used</option>
                  {MAPPING_FIELDS.map((field) => (
                    <option key={field} value={field} disabled={used.has(field) && mapping[column] !== field}>
                      {FIELD_LABELS[field]}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="csv-mapping-actions">
        <button type="submit" disabled={disabled || missing.length > 0}>Upload with this mapping</button>
        <button type="button" className="small" onClick={onCancel}>Cancel</button>
        {missing.length > 0 && <span className="hint" role="status">Still needed: {missing.join(', ')}</span>}
      </div>
    </form>
  );
}
