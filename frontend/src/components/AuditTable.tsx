import { formatDateTime } from "@/lib/format";
import type { AuditEvent } from "@/lib/types";

export function AuditTable({ events, showOrganization }: { events: AuditEvent[]; showOrganization: boolean }) {
  return (
    // Long values wrap so the table fits a laptop screen; narrower screens scroll it sideways (by keyboard too).
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" role="region" aria-label="Audit events" tabIndex={0}>
      <table className="min-w-full text-left text-sm">
        <caption className="sr-only">Audit events, newest first</caption>
        <thead className="border-b border-slate-300 bg-slate-100 text-slate-700">
          <tr>
            <th scope="col" className="px-3 py-3 font-semibold">#</th>
            <th scope="col" className="px-3 py-3 font-semibold">Time</th>
            <th scope="col" className="px-3 py-3 font-semibold">Action</th>
            <th scope="col" className="px-3 py-3 font-semibold">Outcome</th>
            <th scope="col" className="px-3 py-3 font-semibold">By</th>
            {showOrganization && <th scope="col" className="px-3 py-3 font-semibold">Organization</th>}
            <th scope="col" className="px-3 py-3 font-semibold">Target</th>
            <th scope="col" className="px-3 py-3 font-semibold">Address</th>
            <th scope="col" className="px-3 py-3 font-semibold">Details</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 align-top">
          {events.map((event) => (
            <tr key={event.seq}>
              <td className="px-3 py-2 tabular-nums">{event.seq}</td>
              <td className="whitespace-nowrap px-3 py-2">{formatDateTime(event.created_at)}</td>
              <td className="px-3 py-2 font-mono [overflow-wrap:anywhere]">{event.action}</td>
              <td className={`px-3 py-2 ${event.outcome === "success" ? "text-slate-800" : "font-semibold text-red-700"}`}>{event.outcome}</td>
              <td className="px-3 py-2 [overflow-wrap:anywhere]">{event.actor_email ?? "—"}</td>
              {showOrganization && <td className="px-3 py-2 font-mono text-xs [overflow-wrap:anywhere]">{event.organization_id ?? "—"}</td>}
              <td className="px-3 py-2">
                {event.target_type ?? "—"}
                {event.target_id && <span className="block break-all font-mono text-xs text-slate-600">{event.target_id}</span>}
              </td>
              <td className="px-3 py-2 font-mono text-xs [overflow-wrap:anywhere]">{event.ip ?? "—"}</td>
              <td className="whitespace-nowrap px-3 py-2">
                {Object.keys(event.details).length > 0 ? (
                  <details>
                    <summary className="cursor-pointer text-blue-700 underline">Show</summary>
                    <pre className="mt-1 max-w-xs overflow-x-auto whitespace-pre-wrap text-xs [overflow-wrap:anywhere]">{JSON.stringify(event.details, null, 2)}</pre>
                  </details>
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
