"use client";

import { useState, type FormEvent } from "react";
import { Alert, ErrorAlert, fieldError } from "@/components/Alert";
import { Button } from "@/components/Button";
import { TextField } from "@/components/Field";
import { Loading } from "@/components/Loading";
import { LoadError } from "@/components/Panel";
import { organization } from "@/lib/hdx";
import { useAction, useResource } from "@/lib/hooks";
import type { BudgetPolicy } from "@/lib/types";

/** The differential-privacy budget every dataset of the organization may spend over its lifetime. */
export function PrivacyBudgetSettings() {
  const policy = useResource(organization.privacyBudget, "privacy-budget");
  if (policy.loading && !policy.data) return <Loading label="Loading the privacy budget…" />;
  if (!policy.data) return <LoadError resource={policy} />;
  return <BudgetForm key={`${policy.data.dataset_epsilon}:${policy.data.is_default}`} current={policy.data} onSaved={policy.reload} />;
}

function BudgetForm({ current, onSaved }: { current: BudgetPolicy; onSaved: () => void }) {
  const [epsilon, setEpsilon] = useState(String(current.dataset_epsilon));
  const [saved, setSaved] = useState<BudgetPolicy | null>(null);
  const save = useAction(organization.setPrivacyBudget);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    const updated = await save.run(Number(epsilon));
    if (updated) {
      setSaved(updated);
      onSaved();
    }
  };

  return (
    <form onSubmit={submit} className="max-w-xl space-y-4" noValidate>
      <p className="text-slate-700">
        Every differentially private result charges its ε to each dataset it used. Once a dataset has spent its budget, computations
        that need it are refused, so repeated questions cannot add up to a disclosure.
        {current.is_default && " Your organization uses the exchange's default budget."}
      </p>
      <TextField
        label="Privacy budget per dataset (ε)"
        type="number"
        min={0}
        step="any"
        inputMode="decimal"
        required
        value={epsilon}
        onChange={(e) => {
          setEpsilon(e.target.value);
          setSaved(null);
        }}
        error={fieldError(save.error, "dataset_epsilon")}
        hint="Applies to new and existing datasets. It cannot go below what a dataset has already spent."
      />
      <ErrorAlert error={save.error} shownFields={["dataset_epsilon"]} />
      {saved && (
        <Alert tone="success">
          Budget saved: ε = {saved.dataset_epsilon} per dataset
          {saved.datasets_updated > 0 ? `; ${saved.datasets_updated} existing dataset${saved.datasets_updated === 1 ? "" : "s"} updated.` : "."}
        </Alert>
      )}
      <Button type="submit" busy={save.pending}>
        Save budget
      </Button>
    </form>
  );
}
