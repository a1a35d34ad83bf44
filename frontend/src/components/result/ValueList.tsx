import { useId } from "react";
import { formatStat } from "@/lib/format";
import type { ResultRow } from "@/lib/result";

/**
 * Released numbers as a definition list. Each value is labelled by its term (aria-labelledby), so assistive
 * technology and tests find it by name: getByLabel("Mean", { exact: true }) is the mean's value.
 */
export function ValueList({ rows, label, emphasis = true }: { rows: ResultRow[]; label: string; emphasis?: boolean }) {
  const prefix = useId();
  return (
    <dl aria-label={label} className="grid grid-cols-1 gap-x-6 gap-y-3 rounded-lg border border-slate-200 bg-white p-5 sm:grid-cols-2 lg:grid-cols-3">
      {rows.map((row, index) => (
        <div key={row.label}>
          <dt id={`${prefix}-${index}`} className="text-sm text-slate-600">
            {row.label}
          </dt>
          <dd
            aria-labelledby={`${prefix}-${index}`}
            className={`tabular-nums text-slate-900 ${emphasis ? "text-lg font-semibold" : "font-medium"}`}
          >
            {typeof row.value === "number" ? formatStat(row.value) : (row.value ?? "—")}
          </dd>
        </div>
      ))}
    </dl>
  );
}
