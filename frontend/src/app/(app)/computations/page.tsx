"use client";

import { useState } from "react";
import { SelectField } from "@/components/Field";
import { Loading } from "@/components/Loading";
import { PageHeader } from "@/components/PageHeader";
import { Pagination } from "@/components/Pagination";
import { StatusBadge } from "@/components/StatusBadge";
import { TextLink } from "@/components/TextLink";
import { formatDateTime, humanize } from "@/lib/format";
import { analysisLabel } from "@/lib/invitation";
import { computations } from "@/lib/hdx";
import { useResource } from "@/lib/hooks";
import { STAFF } from "@/lib/navigation";
import { useSession } from "@/lib/session";
import type { ComputationStatus } from "@/lib/types";
import { LoadError } from "@/components/Panel";

const SIZE = 20;

const STATUSES: ComputationStatus[] = [
  "pending_approval",
  "running",
  "awaiting_release",
  "completed",
  "failed",
  "cancelled",
  "expired",
];

export default function ComputationsPage() {
  const { user } = useSession();
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<ComputationStatus | "">("");
  const list = useResource(() => computations.list(page, SIZE, status || undefined), `${page}:${status}`);
  const canCreate = user !== null && STAFF.includes(user.role);

  return (
    <>
      <PageHeader
        title="Secure computations"
        description="Joint statistics your organization requested or takes part in. Each organization's records stay with it; only the combined result is revealed."
        actions={canCreate ? <TextLink href="/computations/new/">New computation</TextLink> : undefined}
      />
      <div className="mb-4 max-w-xs">
        <SelectField
          label="Status"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as ComputationStatus | "");
            setPage(1);
          }}
        >
          <option value="">All statuses</option>
          {STATUSES.map((item) => (
            <option key={item} value={item}>
              {humanize(item)}
            </option>
          ))}
        </SelectField>
      </div>
      {list.loading && !list.data ? (
        <Loading label="Loading computations…" />
      ) : list.error ? (
        <LoadError resource={list} />
      ) : list.data && list.data.items.length === 0 ? (
        <p className="rounded-lg border border-slate-200 bg-white p-6 text-slate-700">
          {status ? "No computations with this status." : "No computations yet."}
          {canCreate && (
            <>
              {" "}
              <TextLink href="/computations/new/">Propose one</TextLink> to other organizations.
            </>
          )}
        </p>
      ) : (
        list.data && (
          <>
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" aria-busy={list.loading}>
              <table className="min-w-full text-left text-sm">
                <caption className="sr-only">Secure computations of your organization</caption>
                <thead className="border-b border-slate-300 bg-slate-100 text-slate-700">
                  <tr>
                    <th scope="col" className="px-4 py-3 font-semibold">Computation</th>
                    <th scope="col" className="px-4 py-3 font-semibold">Protocol</th>
                    <th scope="col" className="px-4 py-3 font-semibold">Status</th>
                    <th scope="col" className="px-4 py-3 font-semibold">Role</th>
                    <th scope="col" className="px-4 py-3 font-semibold">Created</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-200">
                  {list.data.items.map((item) => (
                    <tr key={item.id}>
                      <td className="px-4 py-3">
                        <TextLink href={`/computations/view/?id=${encodeURIComponent(item.id)}`}>
                          {item.title || analysisLabel(item.analysis)}
                        </TextLink>
                        <span className="block text-xs text-slate-600">{analysisLabel(item.analysis)}</span>
                      </td>
                      <td className="px-4 py-3">{humanize(item.protocol)}</td>
                      <td className="px-4 py-3">
                        <StatusBadge status={item.status} />
                        {item.failure_reason && <span className="block text-xs text-red-800">{item.failure_reason}</span>}
                      </td>
                      <td className="px-4 py-3">
                        {item.requester_organization_id === user?.organization_id ? "Requested by us" : "Participant"}
                      </td>
                      <td className="px-4 py-3">{formatDateTime(item.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination page={page} size={SIZE} total={list.data.total} onPage={setPage} />
          </>
        )
      )}
    </>
  );
}
