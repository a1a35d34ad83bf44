"use client";

import { useState } from "react";
import { Alert } from "@/components/Alert";
import { AnswerInvitation, useOwnDatasets } from "@/components/computation/AnswerInvitation";
import { Loading } from "@/components/Loading";
import { PageHeader } from "@/components/PageHeader";
import { TextLink } from "@/components/TextLink";
import { privacySummary, variableOf } from "@/lib/describe";
import { formatDateTime, humanize } from "@/lib/format";
import { computations } from "@/lib/hdx";
import { useResource } from "@/lib/hooks";
import { analysisLabel } from "@/lib/invitation";
import { useSession } from "@/lib/session";
import type { Dataset, Invitation } from "@/lib/types";
import { PROTOCOLS } from "@/lib/wizard";
import { LoadError } from "@/components/Panel";

export default function ApprovalsPage() {
  const { user } = useSession();
  const inbox = useResource(computations.inbox, "inbox");
  const canAnswer = user?.role === "org_admin";
  const own = useOwnDatasets(canAnswer);
  const [answered, setAnswered] = useState<string | null>(null);

  return (
    <>
      <PageHeader
        title="Approvals"
        description="Computations waiting for your organization's answer: invitations from other organizations and your own organization's proposals, which it accepts too. Accepting lets one of your datasets contribute to a combined result; no record leaves your organization in readable form."
      />
      <div className="space-y-4">
        {answered && <Alert tone="success">{answered}</Alert>}
        {!canAnswer && (
          <Alert tone="info">Only your organization&apos;s administrators can accept or decline invitations.</Alert>
        )}
        {inbox.loading && !inbox.data ? (
          <Loading label="Loading invitations…" />
        ) : inbox.error ? (
          <LoadError resource={inbox} />
        ) : inbox.data && inbox.data.length === 0 ? (
          <p className="rounded-lg border border-slate-200 bg-white p-6 text-slate-700">
            No invitations are waiting for your organization&apos;s answer.
          </p>
        ) : (
          <ul className="space-y-4" aria-busy={inbox.loading}>
            {inbox.data?.map((invitation) => (
              <li key={invitation.computation_id}>
                <InvitationCard
                  invitation={invitation}
                  datasets={own}
                  ownOrganization={user?.organization_id ?? null}
                  canAnswer={canAnswer}
                  onAnswered={(message) => {
                    setAnswered(message);
                    inbox.reload();
                  }}
                />
              </li>
            ))}
          </ul>
        )}
      </div>
    </>
  );
}

function InvitationCard({
  invitation,
  datasets: own,
  ownOrganization,
  canAnswer,
  onAnswered,
}: {
  invitation: Invitation;
  datasets: Dataset[];
  ownOrganization: string | null;
  canAnswer: boolean;
  onAnswered: (message: string) => void;
}) {
  const title = invitation.title || analysisLabel(invitation.analysis);
  const headingId = `invitation-${invitation.computation_id}`;
  const variable = variableOf(invitation.params);
  const protocol = PROTOCOLS.find((item) => item.value === invitation.protocol);

  return (
    <article aria-labelledby={headingId} className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 id={headingId} className="text-lg font-semibold text-slate-900">
        <TextLink href={`/computations/view/?id=${encodeURIComponent(invitation.computation_id)}`}>{title}</TextLink>
      </h2>
      <p className="text-sm text-slate-700">
        {invitation.requester_organization_id === ownOrganization
          ? "Proposed by your organization"
          : `From ${invitation.requester_organization_name}`}{" "}
        · answer by {formatDateTime(invitation.acceptance_deadline_at)}
      </p>
      <dl className="mt-3 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
        <div>
          <dt className="text-slate-600">Analysis</dt>
          <dd className="text-slate-900">
            {analysisLabel(invitation.analysis)}
            {variable && ` of ${variable}`}
          </dd>
        </div>
        <div>
          <dt className="text-slate-600">Organizations</dt>
          <dd className="text-slate-900">{invitation.organizations.join(", ")}</dd>
        </div>
        <div>
          <dt className="text-slate-600">Protocol</dt>
          <dd className="text-slate-900">
            {protocol?.label ?? humanize(invitation.protocol)}, threshold {invitation.threshold}
            {protocol && <span className="block text-slate-700">{protocol.protects}</span>}
          </dd>
        </div>
        <div>
          <dt className="text-slate-600">Privacy</dt>
          <dd className="text-slate-900">
            Groups smaller than {invitation.k} are never shown
            {invitation.epsilon !== null && `; differential privacy: ${privacySummary(invitation)}`}
            {invitation.dp_mode === "distributed" && (
              <span className="block text-slate-700">Your organization&apos;s party adds its share of the noise before sharing its numbers.</span>
            )}
          </dd>
        </div>
      </dl>
      {canAnswer && (
        <div className="mt-4 border-t border-slate-200 pt-4">
          <AnswerInvitation
            computationId={invitation.computation_id}
            title={title}
            datasets={own}
            onAnswered={onAnswered}
          />
        </div>
      )}
    </article>
  );
}
