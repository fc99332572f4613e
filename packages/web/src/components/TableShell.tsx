import type { ReactNode } from 'react';
import './table-shell.css';

export interface TableColumn {
  /** The header text; for a column of buttons it is read by screen readers only. */
  label: string;
  /** Right-aligned figures. */
  numeric?: boolean;
  /** Hidden from sight (an "Actions" column), still announced. */
  visuallyHidden?: boolean;
}

export interface TableShellProps {
  /** The table's accessible name ("Sessions"). */
  label: string;
  columns: TableColumn[];
  compact?: boolean;
  /** The body rows (`<tr>`s). */
  children: ReactNode;
}

/**
 * The one table of the settings and admin cards: scrolls inside its card when wider than it,
 * labelled, with column headers; rows become stacked cards on phones (settings.css).
 */
export function TableShell({ label, columns, compact, children }: TableShellProps) {
  return (
    <div className="table-scroll">
      <table className={compact ? 'settings-table compact' : 'settings-table'} aria-label={label}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" className={c.numeric ? 'num' : undefined}>
                {c.visuallyHidden ? <span className="visually-hidden">{c.label}</span> : c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
