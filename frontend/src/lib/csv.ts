/**
 * Tables as CSV files for download. Text cells that a spreadsheet would run as a formula (starting with
 * = + - @, or a tab or carriage return) get a leading single quote; plain numbers such as -1.5 stay numbers.
 */

export type Cell = string | number | boolean | null | undefined;

export interface Table {
  /** What the table shows; also the base of the file name. */
  title: string;
  columns: string[];
  rows: Cell[][];
}

const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** The text a cell is written as, before CSV quoting. */
export function neutralize(cell: Cell): string {
  if (cell === null || cell === undefined) return "";
  if (typeof cell === "number") return Number.isFinite(cell) ? String(cell) : "";
  if (typeof cell === "boolean") return cell ? "true" : "false";
  if (PLAIN_NUMBER.test(cell)) return cell;
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 text: a header line, then one line per row, CRLF line ends. */
export function toCsv(table: Table): string {
  const lines = [table.columns, ...table.rows].map((row) => row.map((cell) => quote(neutralize(cell))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** A file name from a title: lower case, words joined with hyphens, .csv. */
export function csvFileName(title: string): string {
  const stem = title
    .toLowerCase()
    .normalize("NFKD")
    .replaceAll(/[\u0300-\u036f]/g, "")
    .replaceAll(/[^a-z0-9]+/g, "-")
    .replaceAll(/^-+|-+$/g, "");
  return `${stem || "table"}.csv`;
}
