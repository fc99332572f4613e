import { toCsv, type CsvCell } from './csv.js';

export interface CsvButtonProps {
  /** The file's name without extension ("spend-by-model"). */
  name: string;
  /** What the button exports, for its accessible name ("Spend by model"). */
  label: string;
  header: readonly string[];
  rows: () => ReadonlyArray<readonly CsvCell[]>;
}

/** Downloads a view's figures as CSV, built in the browser from what the view shows. */
export function CsvButton({ name, label, header, rows }: CsvButtonProps) {
  function download() {
    const url = URL.createObjectURL(new Blob([toCsv(header, rows())], { type: 'text/csv;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${name}.csv`;
    link.click();
    // The click has started the download; the object URL is not needed after this turn.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
  return (
    <button type="button" className="small csv-button" aria-label={`Download ${label} as CSV`} onClick={download}>
      CSV
    </button>
  );
}
