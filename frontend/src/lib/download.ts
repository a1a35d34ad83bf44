import { csvFileName, toCsv, type Table } from "./csv";

/** Saves `text` as a file through a temporary object URL; nothing leaves the browser. */
export function downloadText(fileName: string, text: string, type: string): void {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}

export function downloadCsv(table: Table): void {
  downloadText(csvFileName(table.title), toCsv(table), "text/csv;charset=utf-8");
}
