"use client";

import { useState, type FormEvent } from "react";
import { AuditTable } from "@/components/AuditTable";
import { Button } from "@/components/Button";
import { ChainStatus } from "@/components/ChainStatus";
import { listedEventsText } from "@/lib/audit";
import { TextField } from "@/components/Field";
import { Loading } from "@/components/Loading";
import { PageHeader } from "@/components/PageHeader";
import { Pagination } from "@/components/Pagination";
import { audit, type AuditFilters } from "@/lib/hdx";
import { useResource } from "@/lib/hooks";
import { LoadError } from "@/components/Panel";

export default function AuditPage() {
  const [page, setPage] = useState(1);
  const [draft, setDraft] = useState<AuditFilters>({ start_date: "", end_date: "", action: "" });
  const [filters, setFilters] = useState<AuditFilters>({});
  const report = useResource(() => audit.report(page, filters), JSON.stringify([page, filters]));

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ ...draft, action: draft.action?.trim() });
    setPage(1);
  };

  const scope = report.data?.scope;
  return (
    <>
      <PageHeader
        title="Audit trail"
        description={
          scope === "all"
            ? "Every sign-in, data access, computation step and administrative change on the exchange."
            : "Every sign-in, data access, computation step and administrative change in your organization."
        }
      />
      <form onSubmit={apply} className="mb-6 grid items-end gap-4 sm:grid-cols-2 lg:grid-cols-4" aria-label="Filter audit events">
        <TextField label="From" type="date" value={draft.start_date} onChange={(e) => setDraft({ ...draft, start_date: e.target.value })} />
        <TextField label="Until" type="date" value={draft.end_date} onChange={(e) => setDraft({ ...draft, end_date: e.target.value })} />
        <TextField label="Action starts with" placeholder="auth." value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} />
        <Button type="submit" variant="secondary">
          Show events
        </Button>
      </form>
      {report.loading && !report.data ? (
        <Loading label="Checking the audit trail…" />
      ) : report.error ? (
        <LoadError resource={report} />
      ) : (
        report.data && (
          <div className="space-y-4" aria-busy={report.loading}>
            <ChainStatus chain={report.data.chain} scope={report.data.scope} />
            <p className="text-sm text-slate-700">{listedEventsText(report.data.events.total, report.data.scope)}</p>
            {report.data.events.items.length === 0 ? (
              <p className="rounded-lg border border-slate-200 bg-white p-6 text-slate-700">No events match these filters.</p>
            ) : (
              <AuditTable events={report.data.events.items} showOrganization={scope === "all"} />
            )}
            <Pagination page={page} size={report.data.events.size} total={report.data.events.total} onPage={setPage} />
          </div>
        )
      )}
    </>
  );
}
