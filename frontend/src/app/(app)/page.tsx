"use client";

import { LiveFeed } from "@/components/LiveFeed";
import { PageHeader } from "@/components/PageHeader";
import { Panel } from "@/components/Panel";
import { StatusBadge } from "@/components/StatusBadge";
import { TextLink } from "@/components/TextLink";
import { formatDateTime, humanize } from "@/lib/format";
import { analysisLabel } from "@/lib/invitation";
import { audit, computations, datasets, platform } from "@/lib/hdx";
import { useResource, type Resource } from "@/lib/hooks";
import { useLiveRefresh } from "@/lib/liveContext";
import { STAFF } from "@/lib/navigation";
import { useSession } from "@/lib/session";
import type { ComputationSummary, Invitation, Page } from "@/lib/types";

/** How often the overview checks for changes while the live connection is down. */
const POLL_MS = 15_000;
const isStatusChange = (event: { event: string }) =>
  event.event === "computation.status" || event.event === "computation.result_recorded";

export default function OverviewPage() {
  const { user } = useSession();
  if (!user) return null;
  const greeting = user.full_name ? `Welcome, ${user.full_name}` : "Welcome";
  return (
    <>
      <PageHeader title={greeting} description={user.organization ? `${user.organization.name} on the Health Data Exchange.` : "Platform overview."} />
      {user.role === "admin" ? (
        <div className="grid gap-6 md:grid-cols-2">
          <OrganizationsPanel />
          <AuditChainPanel />
        </div>
      ) : (
        <OrganizationOverview staff={STAFF.includes(user.role)} />
      )}
    </>
  );
}

function OrganizationOverview({ staff }: { staff: boolean }) {
  const inbox = useResource(computations.inbox, "inbox");
  const recent = useResource(() => computations.list(1, 10), "computations");
  useLiveRefresh({
    matches: isStatusChange,
    reload: () => {
      inbox.reload();
      recent.reload();
    },
    pollMs: POLL_MS,
  });
  const titles = new Map<string, string>();
  for (const item of recent.data?.items ?? []) titles.set(item.id, item.title || analysisLabel(item.analysis));
  for (const item of inbox.data ?? []) titles.set(item.computation_id, item.title || analysisLabel(item.analysis));
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      {staff && <DatasetsPanel />}
      <InboxPanel resource={inbox} />
      <div className="lg:col-span-2">
        <LiveFeed titles={titles} />
      </div>
      <div className="lg:col-span-2">
        <ComputationsPanel resource={recent} />
      </div>
    </div>
  );
}

function DatasetsPanel() {
  const resource = useResource(() => datasets.list(1, 1), "datasets");
  return (
    <Panel title="Datasets" resource={resource}>
      {(page) => (
        <>
          <p className="text-4xl font-bold text-slate-900">{page.total}</p>
          <p className="text-slate-700">{page.total === 1 ? "dataset" : "datasets"} stored for your organization, encrypted.</p>
          <p className="mt-3 flex gap-4">
            <TextLink href="/datasets/">See datasets</TextLink>
            <TextLink href="/upload/">Upload a CSV file</TextLink>
          </p>
        </>
      )}
    </Panel>
  );
}

function InboxPanel({ resource }: { resource: Resource<Invitation[]> }) {
  return (
    <Panel title="Waiting for your organization's answer" resource={resource}>
      {(invitations) =>
        invitations.length === 0 ? (
          <p className="text-slate-700">No invitations are waiting. Requests from other organizations to compute joint statistics appear here.</p>
        ) : (
          <ul className="divide-y divide-slate-200">
            {invitations.map((invitation) => (
              <li key={invitation.computation_id} className="py-2">
                <TextLink href={`/computations/view/?id=${encodeURIComponent(invitation.computation_id)}`}>
                  {invitation.title || analysisLabel(invitation.analysis)}
                </TextLink>
                <p className="text-sm text-slate-700">
                  From {invitation.requester_organization_name} · answer by {formatDateTime(invitation.acceptance_deadline_at)}
                </p>
              </li>
            ))}
          </ul>
        )
      }
    </Panel>
  );
}

function ComputationsPanel({ resource }: { resource: Resource<Page<ComputationSummary>> }) {
  return (
    <Panel title="Recent computations" resource={resource}>
      {(page) =>
        page.items.length === 0 ? (
          <p className="text-slate-700">No computations yet. Computations your organization proposes or takes part in appear here.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="min-w-full text-left text-sm">
              <thead className="border-b border-slate-300 text-slate-700">
                <tr>
                  <th scope="col" className="py-2 pr-4 font-semibold">Computation</th>
                  <th scope="col" className="py-2 pr-4 font-semibold">Method</th>
                  <th scope="col" className="py-2 pr-4 font-semibold">Status</th>
                  <th scope="col" className="py-2 font-semibold">Created</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200">
                {page.items.map((item) => (
                  <tr key={item.id}>
                    <td className="py-2 pr-4">
                      <TextLink href={`/computations/view/?id=${encodeURIComponent(item.id)}`}>
                        {item.title || analysisLabel(item.analysis)}
                      </TextLink>
                    </td>
                    <td className="py-2 pr-4 text-slate-700">{humanize(item.protocol)}</td>
                    <td className="py-2 pr-4">
                      <StatusBadge status={item.status} />
                    </td>
                    <td className="py-2 text-slate-700">{formatDateTime(item.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      }
    </Panel>
  );
}

function OrganizationsPanel() {
  const resource = useResource(platform.organizations, "organizations");
  return (
    <Panel title="Organizations" resource={resource}>
      {(page) => (
        <>
          <p className="text-4xl font-bold text-slate-900">{page.total}</p>
          <p className="text-slate-700">organizations registered on the exchange.</p>
        </>
      )}
    </Panel>
  );
}

function AuditChainPanel() {
  const resource = useResource(() => audit.report(1, {}), "audit");
  return (
    <Panel title="Audit trail" resource={resource}>
      {(report) => (
        <>
          <p className={report.chain.intact ? "font-semibold text-green-800" : "font-semibold text-red-700"}>
            {report.chain.intact ? "Intact" : "Broken"}: {report.chain.events} events checked.
          </p>
          <p className="mt-3">
            <TextLink href="/audit/">Open the audit trail</TextLink>
          </p>
        </>
      )}
    </Panel>
  );
}
