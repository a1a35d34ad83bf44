"use client";

import { useState } from "react";
import { ErrorAlert } from "../Alert";
import { Button } from "../Button";
import { ConfirmDialog } from "../ConfirmDialog";
import { TextField } from "../Field";
import { computations } from "@/lib/hdx";
import { useAction } from "@/lib/hooks";
import type { ComputationResult, ReleaseBody } from "@/lib/types";

/** Output review for an organization whose administrator must release a result before anyone sees it. */
export function ReviewActions({ computationId, onDecided }: { computationId: string; onDecided: (result: ComputationResult) => void }) {
  const [asking, setAsking] = useState<"release" | "withhold" | null>(null);
  const [reason, setReason] = useState("");
  const decide = useAction((body: ReleaseBody) => computations.release(computationId, body));

  const close = () => {
    decide.clearError();
    setAsking(null);
  };

  const confirm = async () => {
    if (!asking) return;
    const body: ReleaseBody = asking === "withhold" && reason.trim() ? { decision: asking, reason: reason.trim() } : { decision: asking };
    const result = await decide.run(body);
    // On failure the dialog stays open with the exchange's explanation.
    if (result) {
      setAsking(null);
      onDecided(result);
    }
  };

  return (
    <div className="space-y-3 rounded-lg border border-amber-300 bg-amber-50 p-4">
      <p className="text-sm text-amber-900">
        Your organization reviews results before they are released. Check that the result discloses nothing about individual
        patients, then release it to every participating organization, or withhold it.
      </p>
      <div className="flex flex-wrap gap-2">
        <Button onClick={() => setAsking("release")}>Release result</Button>
        <Button variant="secondary" onClick={() => setAsking("withhold")}>
          Withhold result
        </Button>
      </div>
      <ConfirmDialog
        open={asking === "release"}
        title="Release this result?"
        confirmLabel="Release result"
        cancelLabel="Not yet"
        busy={decide.pending}
        onConfirm={() => void confirm()}
        onCancel={close}
      >
        <p className="mb-3">Every participating organization will see the result once all reviewing organizations have released it. This cannot be undone.</p>
        <ErrorAlert error={decide.error} />
      </ConfirmDialog>
      <ConfirmDialog
        open={asking === "withhold"}
        title="Withhold this result?"
        confirmLabel="Withhold result"
        cancelLabel="Not yet"
        busy={decide.pending}
        onConfirm={() => void confirm()}
        onCancel={close}
      >
        <p className="mb-3">No organization will see the result and the computation fails. This cannot be undone.</p>
        <TextField
          label="Reason (shown to the other organizations)"
          maxLength={500}
          value={reason}
          onChange={(event) => setReason(event.target.value)}
        />
        <div className="mt-3">
          <ErrorAlert error={decide.error} />
        </div>
      </ConfirmDialog>
    </div>
  );
}
