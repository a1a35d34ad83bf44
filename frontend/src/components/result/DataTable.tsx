import type { ReactNode } from "react";
import type { Cell, Table } from "@/lib/csv";
import { formatStat } from "@/lib/format";
import { CsvButton } from "./CsvButton";

export type CellFormat = (cell: Cell, column: number) => ReactNode;

const plain: CellFormat = (cell) => (typeof cell === "number" ? formatStat(cell) : cell === null || cell === undefined ? "—" : String(cell));

/**
 * A titled table with its CSV download. The first column names each row (a row header); numbers are
 * right-aligned. The CSV carries full precision, the screen rounded values.
 */
export function DataTable({ table, format = plain, note }: { table: Table; format?: CellFormat; note?: ReactNode }) {
  const id = `table-${table.title.toLowerCase().replaceAll(/[^a-z0-9]+/g, "-")}`;
  return (
    <section aria-labelledby={id} className="space-y-2 rounded-lg border border-slate-200 bg-white p-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 id={id} className="font-semibold text-slate-900">
          {table.title}
        </h3>
        <CsvButton table={table} />
      </div>
      {note && <p className="text-sm text-slate-700">{note}</p>}
      <div className="overflow-x-auto">
        <table className="min-w-full text-left text-sm">
          <caption className="sr-only">{table.title}</caption>
          <thead className="border-b border-slate-300 text-slate-700">
            <tr>
              {table.columns.map((column, index) => (
                <th key={`${index}:${column}`} scope="col" className={`py-2 pr-4 font-semibold ${index > 0 ? "text-right" : ""}`}>
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200">
            {table.rows.map((row, rowIndex) => (
              <tr key={rowIndex}>
                {row.map((cell, column) =>
                  column === 0 ? (
                    <th key={column} scope="row" className="py-2 pr-4 font-medium text-slate-800">
                      {format(cell, column)}
                    </th>
                  ) : (
                    <td key={column} className="py-2 pr-4 text-right tabular-nums">
                      {format(cell, column)}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
