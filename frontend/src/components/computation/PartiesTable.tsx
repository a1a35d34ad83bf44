import { formatDateTime, humanize } from "@/lib/format";
import type { Computation, Party } from "@/lib/types";

function thisRound(party: Party): string {
  if (party.status === "submitted") return "Sent";
  if (party.status === "accepted") return "Waiting";
  if (party.status === "dropped") return "Dropped out";
  return "—";
}

/** Every invited organization: its answer, its data source and, while running, whether it has sent this round. */
export function PartiesTable({ computation }: { computation: Computation }) {
  const running = computation.status === "running";
  return (
    <section aria-labelledby="parties-title" className="space-y-3">
      <h2 id="parties-title" className="text-lg font-semibold text-slate-900">Organizations</h2>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full text-left text-sm">
          <thead className="border-b border-slate-300 bg-slate-100 text-slate-700">
            <tr>
              <th scope="col" className="px-4 py-3 font-semibold">Party</th>
              <th scope="col" className="px-4 py-3 font-semibold">Organization</th>
              <th scope="col" className="px-4 py-3 font-semibold">Status</th>
              <th scope="col" className="px-4 py-3 font-semibold">Data</th>
              <th scope="col" className="px-4 py-3 font-semibold">Answered</th>
              {running && (
                <th scope="col" className="px-4 py-3 font-semibold">
                  Round {computation.current_round}
                </th>
              )}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200">
            {computation.parties.map((party) => (
              <tr key={party.party_index}>
                <td className="px-4 py-3 tabular-nums">{party.party_index}</td>
                <td className="px-4 py-3">
                  {party.organization_name}
                  {party.organization_id === computation.requester_organization_id && (
                    <span className="block text-xs text-slate-600">Requester</span>
                  )}
                </td>
                <td className="px-4 py-3">
                  {party.status === "invited" ? "Invited, no answer yet" : humanize(party.status)}
                  {(party.decline_reason ?? party.dropped_reason) && (
                    <span className="block text-xs text-slate-700">{party.decline_reason ?? party.dropped_reason}</span>
                  )}
                </td>
                <td className="px-4 py-3">
                  {party.source === null
                    ? "—"
                    : party.hosted
                      ? "Dataset on the exchange (hosted agent)"
                      : "The organization's own agent"}
                </td>
                <td className="px-4 py-3">{formatDateTime(party.responded_at)}</td>
                {running && <td className="px-4 py-3">{thisRound(party)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
