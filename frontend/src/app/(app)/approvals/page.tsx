"use client";

import { useState } from "react";
import { Alert, ErrorAlert, fieldError } from "@/components/Alert";
import { Button } from "@/components/Button";
import { SelectField, TextField } from "@/components/Field";
import { Loading } from "@/components/Loading";
import { PageHeader } from "@/components/PageHeader";
import { TextLink } from "@/components/TextLink";
import { privacySummary, variableOf } from "@/lib/describe";
import { formatDateTime, humanize } from "@/lib/format";
import { computations, datasets } from "@/lib/hdx";
import { useAction, useResource } from "@/lib/hooks";
import { useSession } from "@/lib/session";
import type { Dataset, Invitation } from "@/lib/types";
import { PROTOCOLS } from "@/lib/wizard";
import { LoadError } from "@/components/Panel";

const AGENT = "agent";

export default function ApprovalsPage() {
  const { user } = useSession();
  const inbox = useResource(computations.inbox, "inbox");
  const canAnswer = user?.role === "org_admin";
  const mine = useResource(() => (canAnswer ? datasets.list(1, 100) : Promise.resolve(null)), String(canAnswer));
  const [answered, setAnswered] = useState<string | null>(null);

  return (
    <>
      <PageHeader
        title="Approvals"
        description="Computations other organizations invite yours to. Accepting lets one of your datasets contribute to a combined result; no record leaves your organization in readable form."
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
                  datasets={mine.data?.items ?? []}
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
  canAnswer,
  onAnswered,
}: {
  invitation: Invitation;
  datasets: Dataset[];
  canAnswer: boolean;
  onAnswered: (message: string) => void;
}) {
  const [source, setSource] = useState("");
  const [reason, setReason] = useState("");
  const [declining, setDeclining] = useState(false);
  const title = invitation.title || humanize(invitation.analysis);
  const headingId = `invitation-${invitation.computation_id}`;
  const accept = useAction(() =>
    computations.accept(invitation.computation_id, source === AGENT ? { source: "agent" } : { dataset_id: source }),
  );
  const decline = useAction(() => computations.decline(invitation.computation_id, reason.trim()));
  const variable = variableOf(invitation.params);
  const protocol = PROTOCOLS.find((item) => item.value === invitation.protocol);

  return (
    <article aria-labelledby={headingId} className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 id={headingId} className="text-lg font-semibold text-slate-900">
        <TextLink href={`/computations/view/?id=${encodeURIComponent(invitation.computation_id)}`}>{title}</TextLink>
      </h2>
      <p className="text-sm text-slate-700">
        From {invitation.requester_organization_name} · answer by {formatDateTime(invitation.acceptance_deadline_at)}
      </p>
      <dl className="mt-3 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
        <div>
          <dt className="text-slate-600">Analysis</dt>
          <dd className="text-slate-900">
            {humanize(invitation.analysis)}
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
        <div className="mt-4 space-y-3 border-t border-slate-200 pt-4">
          <ErrorAlert error={accept.error ?? decline.error} shownFields={["dataset_id", "source", "body", "reason"]} />
          {declining ? (
            <form
              className="space-y-3"
              onSubmit={(event) => {
                event.preventDefault();
                void decline.run().then((done) => done && onAnswered(`You declined “${title}”.`));
              }}
            >
              <TextField
                label="Reason for declining (optional)"
                value={reason}
                maxLength={500}
                onChange={(event) => setReason(event.target.value)}
                hint="The requesting organization sees this reason."
                error={fieldError(decline.error, "reason")}
              />
              <div className="flex gap-2">
                <Button type="submit" variant="danger" busy={decline.pending}>
                  Decline
                </Button>
                <Button variant="secondary" onClick={() => setDeclining(false)}>
                  Back
                </Button>
              </div>
            </form>
          ) : (
            <form
              className="flex flex-wrap items-end gap-3"
              onSubmit={(event) => {
                event.preventDefault();
                void accept.run().then((done) => done && onAnswered(`You accepted “${title}”.`));
              }}
            >
              <div className="min-w-64 flex-1">
                <SelectField
                  label="Contribute with"
                  value={source}
                  required
                  onChange={(event) => setSource(event.target.value)}
                  error={fieldError(accept.error, "dataset_id", "source", "body")}
                >
                  <option value="" disabled>
                    Choose a dataset…
                  </option>
                  {own.map((dataset) => (
                    <option key={dataset.id} value={dataset.id}>
                      {dataset.name} ({dataset.category.replaceAll("_", " ")}, {dataset.rows} rows)
                    </option>
                  ))}
                  <option value={AGENT}>Our own agent (it brings its own data)</option>
                </SelectField>
              </div>
              <Button type="submit" busy={accept.pending} disabled={!source}>
                Accept
              </Button>
              <Button variant="secondary" onClick={() => setDeclining(true)}>
                Decline…
              </Button>
            </form>
          )}
        </div>
      )}
    </article>
  );
}
