"use client";

import { useState } from "react";
import { formatDateTime, formatStat } from "@/lib/format";
import { datasets } from "@/lib/hdx";
import { useResource } from "@/lib/hooks";
import { Loading } from "./Loading";
import { Pagination } from "./Pagination";
import { LoadError } from "./Panel";
import { TextLink } from "./TextLink";

const COMPUTATION = "computation:";

/** A dataset's differential-privacy budget: total, spent, left, and which releases spent it. */
export function PrivacyLedger({ datasetId }: { datasetId: string }) {
  const [page, setPage] = useState(1);
  const budget = useResource(() => datasets.privacyBudget(datasetId, page), `${datasetId}:${page}`);
  const data = budget.data;

  if (budget.loading && !data) return <Loading label="Loading the privacy budget…" />;
  if (!data) return <LoadError resource={budget} />;
  const ledger = data.ledger;
  return (
    <div className="space-y-3">
      <dl className="grid grid-cols-2 gap-4 rounded-lg border border-slate-200 bg-white p-5 md:grid-cols-4">
        {[
          ["Budget (ε)", data.epsilon_total],
          ["Spent (ε)", data.epsilon_spent],
          ["Remaining (ε)", data.epsilon_remaining],
          ["δ spent", data.delta_spent],
        ].map(([label, value]) => (
          <div key={label}>
            <dt className="text-sm text-slate-600">{label}</dt>
            <dd className="font-medium tabular-nums text-slate-900">{formatStat(Number(value))}</dd>
          </div>
        ))}
      </dl>
      {ledger.total === 0 ? (
        <p className="text-slate-700">No differentially private result has used this dataset yet.</p>
      ) : (
        <>
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table className="min-w-full text-left text-sm">
              <caption className="sr-only">Releases that spent this dataset&apos;s privacy budget</caption>
              <thead className="border-b border-slate-300 bg-slate-100 text-slate-700">
                <tr>
                  <th scope="col" className="px-4 py-3 font-semibold">When</th>
                  <th scope="col" className="px-4 py-3 font-semibold">Release</th>
                  <th scope="col" className="px-4 py-3 text-right font-semibold">ε</th>
                  <th scope="col" className="px-4 py-3 text-right font-semibold">δ</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200">
                {ledger.items.map((entry) => (
                  <tr key={entry.id}>
                    <td className="px-4 py-3">{formatDateTime(entry.created_at)}</td>
                    <td className="px-4 py-3">
                      {entry.reference.startsWith(COMPUTATION) ? (
                        <TextLink href={`/computations/view/?id=${encodeURIComponent(entry.reference.slice(COMPUTATION.length))}`}>
                          Computation {entry.reference.slice(COMPUTATION.length, COMPUTATION.length + 8)}
                        </TextLink>
                      ) : (
                        entry.reference
                      )}
                    </td>
                    <td className="px-4 py-3 text-right tabular-nums">{formatStat(entry.epsilon)}</td>
                    <td className="px-4 py-3 text-right tabular-nums">{formatStat(entry.delta)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pagination page={ledger.page} size={ledger.size} total={ledger.total} onPage={setPage} />
        </>
      )}
    </div>
  );
}
