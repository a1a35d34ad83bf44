"use client";

import { useSearchParams } from "next/navigation";
import { Suspense, useEffect, type ReactNode } from "react";
import { Alert, ErrorAlert } from "@/components/Alert";
import { HistogramChart } from "@/components/HistogramChart";
import { Loading } from "@/components/Loading";
import { PageHeader } from "@/components/PageHeader";
import { StatusBadge } from "@/components/StatusBadge";
import { TextLink } from "@/components/TextLink";
import { formatDateTime, formatNumber, humanize } from "@/lib/format";
import { computations } from "@/lib/hdx";
import { useResource } from "@/lib/hooks";
import { histogramOf, resultRows } from "@/lib/result";
import type { Computation, ComputationStatus } from "@/lib/types";
import { PROTOCOLS } from "@/lib/wizard";

/** How often a computation that can still change is read again. */
const POLL_MS = 4000;
const SETTLED: ComputationStatus[] = ["completed", "failed", "cancelled", "expired"];

export default function ComputationPage() {
  return (
    <Suspense fallback={<Loading />}>
      <ComputationFromQuery />
    </Suspense>
  );
}

function ComputationFromQuery() {
  const id = useSearchParams().get("id") ?? "";
  const computation = useResource(() => computations.status(id), id);
  const { data, reload } = computation;
  const settled = data !== null && SETTLED.includes(data.status);

  useEffect(() => {
    if (!id || settled) return;
    const timer = window.setInterval(reload, POLL_MS);
    return () => window.clearInterval(timer);
  }, [id, settled, reload]);

  if (!id) {
    return (
      <Alert tone="error">
        No computation was chosen. <TextLink href="/computations/">Back to computations</TextLink>
      </Alert>
    );
  }
  if (computation.loading && !data) return <Loading label="Loading the computation…" />;
  if (!data) {
    return (
      <div className="space-y-3">
        <ErrorAlert error={computation.error} />
        <TextLink href="/computations/">Back to computations</TextLink>
      </div>
    );
  }
  return (
    <>
      {computation.error && <ErrorAlert error={computation.error} />}
      <ComputationView computation={data} live={!settled} />
    </>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className="font-medium text-slate-900">{children}</dd>
    </div>
  );
}

function variableOf(params: Record<string, unknown>): string {
  const variable = params.variable;
  if (variable && typeof variable === "object" && "name" in variable) {
    const { name, lo, hi } = variable as { name: unknown; lo: unknown; hi: unknown };
    return `${String(name)} (${String(lo)} to ${String(hi)})`;
  }
  return Array.isArray(params.columns) && params.columns.length > 0 ? params.columns.map(String).join(", ") : "—";
}

function ComputationView({ computation, live }: { computation: Computation; live: boolean }) {
  const protocol = PROTOCOLS.find((item) => item.value === computation.protocol);
  return (
    <>
      <PageHeader
        title={computation.title || humanize(computation.analysis)}
        description={protocol ? `${protocol.label}: ${protocol.protects}` : undefined}
        actions={<TextLink href="/computations/">All computations</TextLink>}
      />
      <div className="space-y-8">
        <div className="flex flex-wrap items-center gap-3" aria-live="polite">
          <StatusBadge status={computation.status} />
          {computation.status === "running" && <span className="text-sm text-slate-700">Round {computation.current_round}</span>}
          {live && <span className="text-sm text-slate-600">Updates every few seconds.</span>}
        </div>
        {computation.failure_reason && (
          <Alert tone="error" title="The computation failed">
            {computation.failure_reason}
          </Alert>
        )}
        <dl className="grid grid-cols-2 gap-4 rounded-lg border border-slate-200 bg-white p-5 md:grid-cols-4">
          <Fact label="Analysis">{humanize(computation.analysis)}</Fact>
          <Fact label="Variable">{variableOf(computation.params)}</Fact>
          <Fact label="Threshold">
            {computation.threshold} of {computation.parties.length}
          </Fact>
          <Fact label="Minimum participants">{computation.min_participants}</Fact>
          <Fact label="Minimum group size (k)">{computation.k}</Fact>
          <Fact label="Differential privacy">{computation.epsilon === null ? "None" : `ε = ${computation.epsilon}`}</Fact>
          <Fact label="Answers due">{formatDateTime(computation.deadlines.acceptance_at)}</Fact>
          <Fact label="Current round due">{formatDateTime(computation.deadlines.round_at)}</Fact>
          <Fact label="Expires">{formatDateTime(computation.deadlines.expires_at)}</Fact>
          <Fact label="Created">{formatDateTime(computation.created_at)}</Fact>
          <Fact label="Started">{formatDateTime(computation.started_at)}</Fact>
          <Fact label="Finished">{formatDateTime(computation.finished_at)}</Fact>
        </dl>
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
                      {humanize(party.status)}
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
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
        {computation.result_id && <ResultSection resultId={computation.result_id} status={computation.status} />}
      </div>
    </>
  );
}

function ResultSection({ resultId, status }: { resultId: string; status: ComputationStatus }) {
  const result = useResource(() => computations.result(resultId), `${resultId}:${status}`);
  const data = result.data;
  const histogram = data?.values ? histogramOf(data.values) : null;
  const rows = data?.values ? resultRows(data.values) : [];
  const variable = rows.find((row) => row.label === "variable")?.value;

  return (
    <section aria-labelledby="result-title" className="space-y-3">
      <h2 id="result-title" className="text-lg font-semibold text-slate-900">Result</h2>
      {result.loading && !data ? (
        <Loading label="Loading the result…" />
      ) : !data ? (
        <ErrorAlert error={result.error} />
      ) : data.status === "withheld" ? (
        <Alert tone="warning" title="The result was withheld">
          {data.withheld_reason ?? "An organization reviewing outputs withheld it."}
        </Alert>
      ) : data.status === "awaiting_release" ? (
        <Alert tone="info">Waiting for release by {data.waiting_for.join(", ")}.</Alert>
      ) : (
        <>
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table className="min-w-full text-left text-sm">
              <caption className="sr-only">Released values</caption>
              <tbody className="divide-y divide-slate-200">
                {rows.map((row) => (
                  <tr key={row.label}>
                    <th scope="row" className="px-4 py-2 font-medium text-slate-700">{row.label}</th>
                    <td className="px-4 py-2 text-right tabular-nums">{formatNumber(row.value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {histogram && (
            <div className="space-y-3 rounded-lg border border-slate-200 bg-white p-5">
              <HistogramChart histogram={histogram} variable={String(variable ?? "the variable")} />
              <table className="min-w-full text-left text-sm">
                <caption className="sr-only">Records per bin</caption>
                <thead className="border-b border-slate-300 text-slate-700">
                  <tr>
                    <th scope="col" className="py-2 pr-4 font-semibold">Bin</th>
                    <th scope="col" className="py-2 text-right font-semibold">Records</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-200">
                  {histogram.labels.map((label, index) => {
                    const count = histogram.counts[index] ?? null;
                    return (
                      <tr key={label}>
                        <td className="py-2 pr-4">{label}</td>
                        <td className="py-2 text-right tabular-nums">
                          {count === null ? "Fewer than k (hidden)" : formatNumber(count)}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          <p className="text-sm text-slate-700">Released {formatDateTime(data.released_at)}.</p>
        </>
      )}
    </section>
  );
}
