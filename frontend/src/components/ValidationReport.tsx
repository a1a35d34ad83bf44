import { formatNumber } from "@/lib/format";
import type { ValidationReport as Report } from "@/lib/types";
import { ProblemChart } from "./ProblemChart";

function Figure({ label, value, tone = "text-slate-900" }: { label: string; value: number; tone?: string }) {
  return (
    <div className="rounded-md border border-slate-200 bg-white p-4">
      <dt className="text-sm text-slate-700">{label}</dt>
      <dd className={`text-2xl font-bold ${tone}`}>{formatNumber(value)}</dd>
    </div>
  );
}

const DELIMITERS: Record<string, string> = { ",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar" };

export function ValidationReport({ report }: { report: Report }) {
  return (
    <div className="space-y-6">
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        <Figure label="Rows read" value={report.rows_read} />
        <Figure label="Rows accepted" value={report.rows_accepted} tone="text-green-800" />
        <Figure label="Rows rejected" value={report.rows_rejected} tone={report.rows_rejected ? "text-red-700" : "text-slate-900"} />
        <Figure label="Blank lines skipped" value={report.blank_lines} />
      </dl>
      <p className="text-sm text-slate-700">
        Columns were separated by {DELIMITERS[report.delimiter] ?? report.delimiter}.
        {report.ignored_columns.length > 0 && (
          <> These columns are not part of the category and were not stored: {report.ignored_columns.join(", ")}.</>
        )}
      </p>
      {report.problem_counts.length > 0 && (
        <section aria-labelledby="reasons-title" className="space-y-3">
          <h3 id="reasons-title" className="font-semibold text-slate-900">Why rows were rejected</h3>
          <ProblemChart counts={report.problem_counts} />
          <div className="overflow-x-auto">
            <table className="min-w-full text-left text-sm">
              <caption className="sr-only">Rejected rows per column and reason</caption>
              <thead className="border-b border-slate-300 text-slate-700">
                <tr>
                  <th scope="col" className="py-2 pr-4 font-semibold">Column</th>
                  <th scope="col" className="py-2 pr-4 font-semibold">Reason</th>
                  <th scope="col" className="py-2 text-right font-semibold">Rows</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200">
                {report.problem_counts.map((item) => (
                  <tr key={`${item.column}:${item.reason}`}>
                    <td className="py-2 pr-4 font-mono">{item.column}</td>
                    <td className="py-2 pr-4">{item.reason}</td>
                    <td className="py-2 text-right">{formatNumber(item.rows)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {report.problems.length > 0 && (
        <section aria-labelledby="rejected-title" className="space-y-3">
          <h3 id="rejected-title" className="font-semibold text-slate-900">
            Rejected rows{report.rows_rejected > report.problems.length && ` (the first ${report.problems.length})`}
          </h3>
          <div className="max-h-96 overflow-auto rounded-md border border-slate-200">
            <table className="min-w-full text-left text-sm">
              <caption className="sr-only">Each rejected row with its line in the file, the column and the reason</caption>
              <thead className="sticky top-0 border-b border-slate-300 bg-slate-100 text-slate-700">
                <tr>
                  <th scope="col" className="px-3 py-2 font-semibold">Line</th>
                  <th scope="col" className="px-3 py-2 font-semibold">Column</th>
                  <th scope="col" className="px-3 py-2 font-semibold">Reason</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 bg-white">
                {report.problems.map((problem) => (
                  <tr key={`${problem.line}:${problem.column}`}>
                    <td className="px-3 py-2 tabular-nums">{problem.line}</td>
                    <td className="px-3 py-2 font-mono">{problem.column}</td>
                    <td className="px-3 py-2">{problem.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}
