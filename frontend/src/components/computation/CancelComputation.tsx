"use client";

import { useState } from "react";
import { ErrorAlert } from "../Alert";
import { Button } from "../Button";
import { ConfirmDialog } from "../ConfirmDialog";
import { computations } from "@/lib/hdx";
import { useAction } from "@/lib/hooks";
import { STAFF } from "@/lib/navigation";
import type { Computation, ComputationStatus, Me } from "@/lib/types";

/** States a requester can still cancel from; output review waits for people and cannot be cancelled. */
const CANCELLABLE: ComputationStatus[] = ["draft", "pending_approval", "running"];

/** The requester, or an administrator of the requesting organization, while the computation can be cancelled. */
export function canCancel(computation: Computation, user: Me): boolean {
  return (
    CANCELLABLE.includes(computation.status) &&
    STAFF.includes(user.role) &&
    user.organization_id === computation.requester_organization_id &&
    (computation.requester_user_id === user.id || user.role === "org_admin")
  );
}

export function CancelComputation({ computation, onCancelled }: { computation: Computation; onCancelled: () => void }) {
  const [asking, setAsking] = useState(false);
  const cancel = useAction(() => computations.cancel(computation.id));
  const confirm = async () => {
    // On failure the dialog stays open with the exchange's explanation.
    if (await cancel.run()) {
      setAsking(false);
      onCancelled();
    }
  };
  return (
    <>
      <Button variant="danger" onClick={() => setAsking(true)}>
        Cancel computation
      </Button>
      <ConfirmDialog
        open={asking}
        title="Cancel this computation?"
        confirmLabel="Cancel computation"
        cancelLabel="Keep it"
        busy={cancel.pending}
        onConfirm={() => void confirm()}
        onCancel={() => {
          cancel.clearError();
          setAsking(false);
        }}
      >
        <p className="mb-3">
          Every organization is told that “{computation.title || computation.analysis}” was cancelled, and nothing is computed. This
          cannot be undone.
        </p>
        <ErrorAlert error={cancel.error} />
      </ConfirmDialog>
    </>
  );
}
