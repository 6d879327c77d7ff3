/**
 * CSV documents for downloads (RFC 4180): a header row, CRLF line ends, fields quoted when they
 * hold the delimiter, a quote or a line break (quotes doubled). Two dialects: `en` (comma,
 * decimal point) and `pl` (semicolon, decimal comma: what a spreadsheet with Polish regional
 * settings opens into columns). The document starts with a UTF-8 byte-order mark so spreadsheets
 * read Polish letters correctly. Text that a spreadsheet would run as a formula (= + - @ at the
 * start) is prefixed with an apostrophe (OWASP "CSV injection"); numbers are never altered.
 * Pure.
 */
export type CsvDialect = 'en' | 'pl';
export type CsvCell = string | number | boolean | null | undefined;

const BOM = '\uFEFF';
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvCell, dialect: CsvDialect): string {
  if (value === null || value === undefined) return '';
  const delimiter = dialect === 'pl' ? ';' : ',';
  let text: string;
  if (typeof value === 'number') {
    // Most cells of the large exports are whole numbers: nothing to change, nothing to quote.
    if (Number.isSafeInteger(value)) return String(value);
    if (!Number.isFinite(value)) return '';
    text = dialect === 'pl' ? String(value).replace('.', ',') : String(value);
  } else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else text = FORMULA_START.test(value) ? `'${value}` : value;
  return text.includes(delimiter) || /["\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The whole document; every row must have as many cells as the header (a mismatch is a bug, so it throws). */
export function csvDocument(header: readonly string[], rows: ReadonlyArray<readonly CsvCell[]>, dialect: CsvDialect = 'en'): string {
  const delimiter = dialect === 'pl' ? ';' : ',';
  const lines = [header.map((h) => csvCell(h, dialect)).join(delimiter)];
  rows.forEach((row, i) => {
    if (row.length !== header.length) throw new Error(`CSV row ${i + 1} has ${row.length} cells, expected ${header.length} (${header.join(', ')})`);
    lines.push(row.map((c) => csvCell(c, dialect)).join(delimiter));
  });
  return BOM + lines.join('\r\n') + '\r\n';
}
