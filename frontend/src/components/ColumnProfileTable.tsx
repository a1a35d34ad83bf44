import { formatNumber, displayUnit } from "@/lib/format";
import type { ColumnProfile } from "@/lib/types";

export function ColumnProfileTable({ columns }: { columns: ColumnProfile[] }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full text-left text-sm">
        <caption className="sr-only">Summary of each stored column</caption>
        <thead className="border-b border-slate-300 bg-slate-100 text-slate-700">
          <tr>
            <th scope="col" className="px-4 py-3 font-semibold">Column</th>
            <th scope="col" className="px-4 py-3 font-semibold">Type</th>
            <th scope="col" className="px-4 py-3 text-right font-semibold">Values</th>
            <th scope="col" className="px-4 py-3 text-right font-semibold">Missing</th>
            <th scope="col" className="px-4 py-3 text-right font-semibold">Minimum</th>
            <th scope="col" className="px-4 py-3 text-right font-semibold">Maximum</th>
            <th scope="col" className="px-4 py-3 text-right font-semibold">Mean</th>
            <th scope="col" className="px-4 py-3 text-right font-semibold">Distinct</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200">
          {columns.map((column) => (
            <tr key={column.name}>
              <th scope="row" className="px-4 py-3 font-mono font-normal">
                {column.name}
                {column.unit && <span className="ml-1 font-sans text-slate-600">({displayUnit(column.unit)})</span>}
              </th>
              <td className="px-4 py-3">{column.kind}</td>
              <td className="px-4 py-3 text-right tabular-nums">{formatNumber(column.count)}</td>
              <td className="px-4 py-3 text-right tabular-nums">{formatNumber(column.missing)}</td>
              <td className="px-4 py-3 text-right tabular-nums">{formatNumber(column.min)}</td>
              <td className="px-4 py-3 text-right tabular-nums">{formatNumber(column.max)}</td>
              <td className="px-4 py-3 text-right tabular-nums">{formatNumber(column.mean)}</td>
              <td className="px-4 py-3 text-right tabular-nums">{formatNumber(column.distinct)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
