"use client";

import { useState } from "react";
import { ErrorAlert, fieldError } from "@/components/Alert";
import { Button } from "@/components/Button";
import { SelectField, TextField } from "@/components/Field";
import { computations, datasets } from "@/lib/hdx";
import { useAction, useResource } from "@/lib/hooks";
import type { Dataset } from "@/lib/types";

const AGENT = "agent";

/** The organization's datasets an administrator can contribute with, loaded once per page. */
export function useOwnDatasets(canAnswer: boolean): Dataset[] {
  const mine = useResource(() => (canAnswer ? datasets.list(1, 100) : Promise.resolve(null)), String(canAnswer));
  return mine.data?.items ?? [];
}

/** Accept an invitation with one of the organization's datasets (or its own agent), or decline it. */
export function AnswerInvitation({
  computationId,
  title,
  datasets: own,
  onAnswered,
}: {
  computationId: string;
  title: string;
  datasets: Dataset[];
  onAnswered: (message: string) => void;
}) {
  const [source, setSource] = useState("");
  const [reason, setReason] = useState("");
  const [declining, setDeclining] = useState(false);
  const accept = useAction(() =>
    computations.accept(computationId, source === AGENT ? { source: "agent" } : { dataset_id: source }),
  );
  const decline = useAction(() => computations.decline(computationId, reason.trim()));

  return (
    <div className="space-y-3">
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
  );
}
