export type CsvCell = string | number | boolean | null | undefined;

/**
 * RFC 4180 text of a table: every row on its own CRLF line, a cell quoted when it holds a comma,
 * quote or line break. A text cell that a spreadsheet would run as a formula (=, +, -, @, tab,
 * carriage return first) is written with a leading apostrophe: model names and labels come from
 * uploaded files. Numbers are written as they are.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

function cell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
