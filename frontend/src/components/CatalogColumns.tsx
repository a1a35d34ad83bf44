import type { CatalogCategory } from "@/lib/types";
import { displayUnit } from "@/lib/format";

function range(minimum: number | null, maximum: number | null): string {
  if (minimum === null && maximum === null) return "—";
  return `${minimum ?? "…"} to ${maximum ?? "…"}`;
}

/** The columns a category expects, so staff can check their file's header before uploading. */
export function CatalogColumns({ category }: { category: CatalogCategory }) {
  return (
    <details className="rounded-md border border-slate-200 bg-white p-4" open>
      <summary className="cursor-pointer font-medium text-slate-900">Columns expected for “{category.category}”</summary>
      <p className="mt-2 text-sm text-slate-700">{category.description}</p>
      {category.columns.length > 0 && (
        <div className="mt-3 overflow-x-auto">
          <table className="min-w-full text-left text-sm">
            <thead className="border-b border-slate-300 text-slate-700">
              <tr>
                <th scope="col" className="py-2 pr-4 font-semibold">Column</th>
                <th scope="col" className="py-2 pr-4 font-semibold">Meaning</th>
                <th scope="col" className="py-2 pr-4 font-semibold">Unit</th>
                <th scope="col" className="py-2 pr-4 font-semibold">Accepted values</th>
                <th scope="col" className="py-2 font-semibold">Required</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {category.columns.map((column) => (
                <tr key={column.name}>
                  <td className="py-2 pr-4 font-mono">
                    {column.name}
                    {column.aliases.length > 0 && <span className="block font-sans text-xs text-slate-600">also: {column.aliases.join(", ")}</span>}
                  </td>
                  <td className="py-2 pr-4">
                    {column.label}
                    {column.loinc && <span className="block text-xs text-slate-600">LOINC {column.loinc}</span>}
                  </td>
                  <td className="py-2 pr-4">{displayUnit(column.unit) ?? "—"}</td>
                  <td className="py-2 pr-4">{column.codes ? column.codes.join(", ") : range(column.minimum, column.maximum)}</td>
                  <td className="py-2">{column.required ? "Yes" : "No"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}
