"use client";

import { useState, type FormEvent } from "react";
import { Alert, ErrorAlert, fieldError } from "@/components/Alert";
import { Button } from "@/components/Button";
import { CheckboxField, TextField } from "@/components/Field";
import { organization } from "@/lib/hdx";
import { useAction } from "@/lib/hooks";
import type { Organization } from "@/lib/types";

export function DisclosureSettings({ current, onSaved }: { current: Organization; onSaved: (updated: Organization) => void }) {
  const [k, setK] = useState(String(current.min_cohort_k));
  const [review, setReview] = useState(current.requires_output_review);
  const [privacy, setPrivacy] = useState(current.require_differential_privacy);
  const [saved, setSaved] = useState(false);
  const save = useAction(organization.updateSettings);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const updated = await save.run(Number(k), review, privacy);
    if (updated) {
      setSaved(true);
      onSaved(updated);
    }
  };

  return (
    <form onSubmit={submit} className="max-w-xl space-y-4" noValidate>
      <TextField
        label="Minimum group size (k)"
        type="number"
        min={1}
        inputMode="numeric"
        required
        value={k}
        onChange={(e) => {
          setK(e.target.value);
          setSaved(false);
        }}
        error={fieldError(save.error, "min_cohort_k")}
        hint="No result that uses your data is released if it rests on fewer patients than this."
      />
      <CheckboxField
        label="Review results before they are released"
        hint="Results of computations your organization takes part in wait until an administrator here releases them."
        checked={review}
        onChange={(e) => {
          setReview(e.target.checked);
          setSaved(false);
        }}
      />
      <CheckboxField
        label="Require differential privacy on every computation"
        hint="Computations that use your data without epsilon, and logistic regressions, are refused. Each query is then charged to your datasets' privacy budget, and once a budget is spent no query uses that dataset: this is what stops results from being compared query against query to single out a patient."
        checked={privacy}
        onChange={(e) => {
          setPrivacy(e.target.checked);
          setSaved(false);
        }}
      />
      <ErrorAlert error={save.error} shownFields={["min_cohort_k"]} />
      {saved && <Alert tone="success">Settings saved.</Alert>}
      <Button type="submit" busy={save.pending}>
        Save settings
      </Button>
    </form>
  );
}
