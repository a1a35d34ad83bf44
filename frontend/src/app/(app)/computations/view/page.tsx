"use client";

import { useSearchParams } from "next/navigation";
import { Suspense, useState, type ReactNode } from "react";
import { Alert, ErrorAlert } from "@/components/Alert";
import { CancelComputation, canCancel } from "@/components/computation/CancelComputation";
import { AnswerInvitation, useOwnDatasets } from "@/components/computation/AnswerInvitation";
import { PartiesTable } from "@/components/computation/PartiesTable";
import { PrivacyPlanSection } from "@/components/computation/PrivacyPlanSection";
import { Timeline } from "@/components/computation/Timeline";
import { LiveStatus } from "@/components/LiveStatus";
import { Loading } from "@/components/Loading";
import { PageHeader } from "@/components/PageHeader";
import { ResultSection } from "@/components/result/ResultSection";
import { StatusBadge } from "@/components/StatusBadge";
import { TextLink } from "@/components/TextLink";
import { iterationText, maxIterationsOf, privacySummary, variableOf } from "@/lib/describe";
import { computationIdOf, roundProgress, timelineOf } from "@/lib/events";
import { formatDateTime } from "@/lib/format";
import { computations } from "@/lib/hdx";
import { useResource } from "@/lib/hooks";
import { SENT_FLAG, analysisLabel, awaitsOwnAnswer, sentNotice } from "@/lib/invitation";
import type { LiveEvent } from "@/lib/live";
import { useLiveChannel, useLiveEvents, useLiveRefresh } from "@/lib/liveContext";
import { useSession } from "@/lib/session";
import type { Computation, ComputationResult, ComputationStatus, Me } from "@/lib/types";
import { PROTOCOLS, isIterative } from "@/lib/wizard";

/** How often a computation that can still change is read again while the live connection is down. */
const POLL_MS = 5000;
const SETTLED: ComputationStatus[] = ["completed", "failed", "cancelled", "expired"];
/** Live events kept for the timeline. */
const KEPT_EVENTS = 200;

export default function ComputationPage() {
  return (
    <Suspense fallback={<Loading />}>
      <ComputationFromQuery />
    </Suspense>
  );
}

function ComputationFromQuery() {
  const query = useSearchParams();
  const id = query.get("id") ?? "";
  const justSent = query.get(SENT_FLAG) === "1";
  const { user } = useSession();
  if (!id) {
    return (
      <Alert tone="error">
        No computation was chosen. <TextLink href="/computations/">Back to computations</TextLink>
      </Alert>
    );
  }
  return user && <LiveComputation key={id} id={id} user={user} justSent={justSent} />;
}

/** One computation, kept current by its live events, or by polling while the connection is down. */
function LiveComputation({ id, user, justSent }: { id: string; user: Me; justSent: boolean }) {
  const computation = useResource(() => computations.status(id), id);
  const { data, reload } = computation;
  const settled = data !== null && SETTLED.includes(data.status);
  const [seen, setSeen] = useState<LiveEvent[]>([]);
  const [result, setResult] = useState<ComputationResult | null>(null);

  useLiveChannel(`computation:${id}`);
  useLiveEvents((event) => {
    if (computationIdOf(event) === id) setSeen((last) => [...last, event].slice(-KEPT_EVENTS));
  });
  useLiveRefresh({ matches: (event) => computationIdOf(event) === id, reload, pollMs: POLL_MS, enabled: !settled });

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
      <ComputationView
        computation={data}
        user={user}
        justSent={justSent}
        live={!settled}
        timeline={timelineOf(data, result?.computation_id === id ? result : null, seen)}
        onChanged={reload}
        onResult={setResult}
      />
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

function names(parties: { organization_name: string }[]): string {
  return parties.map((party) => party.organization_name).join(", ");
}

/** The call to answer when the signed-in administrator's own organization has not accepted yet. */
function OwnAnswer({ computation, onAnswered }: { computation: Computation; onAnswered: (message: string) => void }) {
  const own = useOwnDatasets(true);
  const title = computation.title || analysisLabel(computation.analysis);
  return (
    <section
      aria-labelledby="own-answer"
      className="space-y-3 rounded-lg border border-amber-300 bg-amber-50 p-5"
    >
      <h2 id="own-answer" className="font-semibold text-slate-900">
        Your organization has not accepted yet — accept with one of your datasets
      </h2>
      <p className="text-sm text-slate-700">
        The computation cannot start until your organization answers. Invitations are also listed under{" "}
        <TextLink href="/approvals/">Approvals</TextLink>.
      </p>
      <AnswerInvitation computationId={computation.id} title={title} datasets={own} onAnswered={onAnswered} />
    </section>
  );
}

interface ViewProps {
  computation: Computation;
  user: Me;
  justSent: boolean;
  live: boolean;
  timeline: ReturnType<typeof timelineOf>;
  onChanged: () => void;
  onResult: (result: ComputationResult) => void;
}

function ComputationView({ computation, user, justSent, live, timeline, onChanged, onResult }: ViewProps) {
  const protocol = PROTOCOLS.find((item) => item.value === computation.protocol);
  const progress = roundProgress(computation);
  const running = computation.status === "running";
  const iteration = iterationText(computation);
  const most = maxIterationsOf(computation.params);
  const [answered, setAnswered] = useState<string | null>(null);
  return (
    <>
      <PageHeader
        title={computation.title || analysisLabel(computation.analysis)}
        description={protocol ? `${protocol.label}: ${protocol.protects}` : undefined}
        actions={
          <>
            {canCancel(computation, user) && <CancelComputation computation={computation} onCancelled={onChanged} />}
            <TextLink href="/computations/" className="self-center">
              All computations
            </TextLink>
          </>
        }
      />
      <div className="space-y-8">
        <div className="space-y-2">
          <div className="flex flex-wrap items-center gap-3" aria-live="polite">
            <StatusBadge status={computation.status} />
            {running && (
              <span className="text-sm text-slate-700">
                Round {computation.current_round}
                {iteration ? ` · ${iteration}` : ""}
              </span>
            )}
            {running && (
              <span className="text-sm text-slate-700">
                {progress.sent.length} of {progress.sent.length + progress.waiting.length} organizations have sent this round
                {progress.waiting.length > 0 ? `; waiting for ${names(progress.waiting)}.` : "."}
              </span>
            )}
          </div>
          {live && <LiveStatus />}
        </div>
        {justSent && !answered && computation.status === "pending_approval" && (
          <Alert tone="success" title="Invitations sent">
            {sentNotice(computation, user)}
          </Alert>
        )}
        {answered && <Alert tone="success">{answered}</Alert>}
        {awaitsOwnAnswer(computation, user) && (
          <OwnAnswer
            computation={computation}
            onAnswered={(message) => {
              setAnswered(message);
              onChanged();
            }}
          />
        )}
        {computation.failure_reason && (
          <Alert tone="error" title="The computation failed">
            {computation.failure_reason}
          </Alert>
        )}
        {progress.dropped.length > 0 && (
          <Alert tone="warning" title="Dropped out">
            <ul className="list-inside list-disc">
              {progress.dropped.map((party) => (
                <li key={party.party_index}>
                  {party.organization_name}
                  {party.dropped_reason ? `: ${party.dropped_reason}` : ""}
                </li>
              ))}
            </ul>
          </Alert>
        )}
        <dl className="grid grid-cols-2 gap-4 rounded-lg border border-slate-200 bg-white p-5 md:grid-cols-4">
          <Fact label="Analysis">{analysisLabel(computation.analysis)}</Fact>
          <Fact label={computation.params.outcome === undefined ? "Variable" : "Model"}>{variableOf(computation.params) ?? "—"}</Fact>
          {isIterative(computation.analysis) && (
            <Fact label="Newton iterations">
              {computation.started_at ? computation.iteration : "None yet"}
              {most !== null && `, at most ${most}`}
            </Fact>
          )}
          <Fact label="Threshold">
            {computation.threshold} of {computation.parties.length}
          </Fact>
          <Fact label="Minimum participants">{computation.min_participants}</Fact>
          <Fact label="Minimum group size (k)">{computation.k}</Fact>
          <Fact label="Differential privacy">{privacySummary(computation)}</Fact>
          <Fact label="Answers due">{formatDateTime(computation.deadlines.acceptance_at)}</Fact>
          <Fact label="Current round due">{formatDateTime(computation.deadlines.round_at)}</Fact>
          <Fact label="Expires">{formatDateTime(computation.deadlines.expires_at)}</Fact>
          <Fact label="Created">{formatDateTime(computation.created_at)}</Fact>
          <Fact label="Started">{formatDateTime(computation.started_at)}</Fact>
          <Fact label="Finished">{formatDateTime(computation.finished_at)}</Fact>
        </dl>
        {computation.differential_privacy && <PrivacyPlanSection plan={computation.differential_privacy} />}
        <PartiesTable computation={computation} />
        {computation.result_id && (
          <ResultSection
            computation={computation}
            resultId={computation.result_id}
            user={user}
            onResult={onResult}
            onDecided={onChanged}
          />
        )}
        <Timeline entries={timeline} />
      </div>
    </>
  );
}
