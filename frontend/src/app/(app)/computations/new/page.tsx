"use client";

import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { ErrorAlert } from "@/components/Alert";
import { Button } from "@/components/Button";
import { SelectField, TextField } from "@/components/Field";
import { Loading } from "@/components/Loading";
import { PageHeader } from "@/components/PageHeader";
import { CovariatesField } from "@/components/wizard/CovariatesField";
import { CrosstabFields } from "@/components/wizard/CrosstabFields";
import { PrivacyFields } from "@/components/wizard/PrivacyFields";
import { SurvivalFields } from "@/components/wizard/SurvivalFields";
import { computations, datasets } from "@/lib/hdx";
import { useAction, useResource } from "@/lib/hooks";
import { useSession } from "@/lib/session";
import type { ProtocolName } from "@/lib/types";
import { displayUnit } from "@/lib/format";
import { computationHref } from "@/lib/invitation";
import {
  ANALYSES,
  COVARIANCE_VARIABLES,
  INITIAL_VALUES,
  MAX_ITERATIONS,
  MIN_K,
  PROTOCOLS,
  categoricalColumns,
  flagColumns,
  hasVariable,
  isRegression,
  numericColumns,
  placeServerErrors,
  toSpec,
  usesBounds,
  validateWizard,
  variableColumns,
  withAnalysis,
  withColumn,
  withVariable,
  type AnalysisName,
  type WizardErrors,
  type WizardValues,
} from "@/lib/wizard";

export default function NewComputationPage() {
  const router = useRouter();
  const { user } = useSession();
  const catalog = useResource(datasets.catalog, "catalog");
  const organizations = useResource(() => computations.organizations(1), "organizations");
  const [values, setValues] = useState<WizardValues>(INITIAL_VALUES);
  const [checked, setChecked] = useState<WizardErrors>({});
  const create = useAction(computations.initialize);
  const numeric = useMemo(() => numericColumns(catalog.data ?? []), [catalog.data]);
  const categorical = useMemo(() => categoricalColumns(catalog.data ?? []), [catalog.data]);
  const flags = useMemo(() => flagColumns(catalog.data ?? []), [catalog.data]);
  const columns = useMemo(() => variableColumns(values.analysis, catalog.data ?? []), [values.analysis, catalog.data]);
  const server = useMemo(() => placeServerErrors(create.error?.fieldErrors ?? []), [create.error]);
  const errors: WizardErrors = { ...server.errors, ...checked };
  const n = values.participants.length + 1;

  const set = <K extends keyof WizardValues>(field: K, value: WizardValues[K]) => {
    setValues((current) => ({ ...current, [field]: value }));
    setChecked((current) => ({ ...current, [field]: undefined }));
    create.clearError();
  };

  const chooseVariable = (name: string) => {
    setValues((current) => withVariable(current, name, columns.find((item) => item.name === name)));
    setChecked((current) => ({ ...current, variable: undefined, lo: undefined, hi: undefined, rowCategories: undefined }));
    create.clearError();
  };

  const chooseColumn = (name: string) => {
    setValues((current) => withColumn(current, name, categorical.find((item) => item.name === name)));
    setChecked((current) => ({ ...current, column: undefined, columnCategories: undefined }));
    create.clearError();
  };

  const chooseAnalysis = (analysis: AnalysisName) => {
    setValues((current) => withAnalysis(current, analysis, catalog.data ?? []));
    // The analysis decides which of these the form has, and what they must hold.
    setChecked((current) => ({
      ...current,
      variable: undefined,
      lo: undefined,
      hi: undefined,
      bins: undefined,
      covariates: undefined,
      maxIterations: undefined,
      rowCategories: undefined,
      column: undefined,
      columnCategories: undefined,
      variables: undefined,
      event: undefined,
      confidence: undefined,
      privacy: undefined,
    }));
    create.clearError();
  };

  const toggleParticipant = (id: string, on: boolean) =>
    set("participants", on ? [...values.participants, id] : values.participants.filter((item) => item !== id));

  const submit = async () => {
    const problems = validateWizard(values);
    setChecked(problems);
    if (Object.keys(problems).length > 0 || !user?.organization_id) return;
    const created = await create.run(toSpec(values, user.organization_id));
    if (created) router.push(computationHref(created.id, true));
  };

  if ((catalog.loading && !catalog.data) || (organizations.loading && !organizations.data)) {
    return <Loading label="Loading the catalog and organizations…" />;
  }
  if (catalog.error || organizations.error) {
    return (
      <div className="space-y-2">
        <ErrorAlert error={catalog.error ?? organizations.error} />
        <Button
          variant="secondary"
          onClick={() => {
            catalog.reload();
            organizations.reload();
          }}
        >
          Try again
        </Button>
      </div>
    );
  }

  const column = columns.find((item) => item.name === values.variable);
  const regression = isRegression(values.analysis);
  const variableText = VARIABLE_TEXT[values.analysis] ?? DEFAULT_VARIABLE_TEXT;
  const variableHint =
    values.analysis === "logistic"
      ? "A yes/no (0/1) column of the data catalog: the outcome whose odds the covariates explain."
      : variableText.hint;
  const protocol = PROTOCOLS.find((item) => item.value === values.protocol);
  const others = organizations.data?.items ?? [];

  return (
    <>
      <PageHeader
        title="New secure computation"
        description="Ask other organizations to compute a statistic over their records and yours together. Each organization's records stay with it; only the combined result is revealed, and only to the organizations taking part."
      />
      <form
        noValidate
        className="max-w-3xl space-y-8"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        {Object.keys(checked).some((key) => checked[key as keyof WizardErrors]) && (
          <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900">
            Please correct the highlighted fields.
          </p>
        )}
        <ErrorAlert error={create.error} shownFields={server.placed} />

        <fieldset className="space-y-4 rounded-lg border border-slate-200 bg-white p-5">
          <legend className="px-1 text-lg font-semibold text-slate-900">1. Analysis</legend>
          <TextField
            label="Title"
            value={values.title}
            maxLength={200}
            onChange={(event) => set("title", event.target.value)}
            hint="Shown to every invited organization, for example “Mean systolic blood pressure, 2026”."
            error={errors.title}
          />
          <SelectField
            label="Analysis"
            value={values.analysis}
            required
            onChange={(event) => chooseAnalysis(event.target.value as AnalysisName)}
            hint={ANALYSES.find((item) => item.value === values.analysis)?.help}
            error={errors.analysis}
          >
            {ANALYSES.map((item) => (
              <option key={item.value} value={item.value}>
                {item.label}
              </option>
            ))}
          </SelectField>
          {hasVariable(values.analysis) && (
            <SelectField
              label={variableText.label}
              value={values.variable}
              required
              onChange={(event) => chooseVariable(event.target.value)}
              hint={column ? `${column.label}${column.unit ? ` (${displayUnit(column.unit)})` : ""}` : variableHint}
              error={errors.variable}
            >
              <option value="" disabled>
                {variableText.prompt}
              </option>
              {columns.map((item) => (
                <option key={item.name} value={item.name}>
                  {item.label} ({item.name})
                </option>
              ))}
            </SelectField>
          )}
          {values.analysis === "crosstab" && (
            <CrosstabFields values={values} errors={errors} columns={categorical} set={set} chooseColumn={chooseColumn} />
          )}
          {values.analysis === "covariance" && (
            <CovariatesField
              columns={numeric}
              covariates={values.variables}
              outcome=""
              error={errors.variables}
              onChange={(variables) => set("variables", variables)}
              legend="Variables"
              noun="variable"
              max={COVARIANCE_VARIABLES.max}
              hint={`From ${COVARIANCE_VARIABLES.min} to ${COVARIANCE_VARIABLES.max} numeric variables, bounded by the data catalog's plausible range. Values outside a variable's bounds are counted as the nearest bound; only records with all the variables are used.`}
            />
          )}
          {usesBounds(values.analysis) && (
            <div className="grid gap-4 sm:grid-cols-2">
              <TextField
                label="Lower bound"
                inputMode="decimal"
                value={values.lo}
                required
                onChange={(event) => set("lo", event.target.value)}
                hint="Values below are counted as this bound."
                error={errors.lo}
              />
              <TextField
                label="Upper bound"
                inputMode="decimal"
                value={values.hi}
                required
                onChange={(event) => set("hi", event.target.value)}
                hint="Values above are counted as this bound."
                error={errors.hi}
              />
            </div>
          )}
          {(values.analysis === "histogram" || values.analysis === "kaplan_meier") && (
            <TextField
              label="Number of bins"
              inputMode="numeric"
              value={values.bins}
              required
              onChange={(event) => set("bins", event.target.value)}
              hint={
                values.analysis === "histogram"
                  ? "Equal-width bins between the bounds."
                  : "Equal time intervals between the bounds; the curve takes one step per interval. Up to 10,000."
              }
              error={errors.bins}
            />
          )}
          {values.analysis === "kaplan_meier" && <SurvivalFields values={values} errors={errors} columns={flags} set={set} />}
          {regression && (
            <CovariatesField
              columns={numeric}
              covariates={values.covariates}
              outcome={values.variable}
              error={errors.covariates}
              onChange={(covariates) => set("covariates", covariates)}
            />
          )}
          {values.analysis === "logistic" && (
            <TextField
              label="Maximum iterations"
              inputMode="numeric"
              value={values.maxIterations}
              required
              onChange={(event) => set("maxIterations", event.target.value)}
              hint={`Each Newton iteration is one complete secure sum; the computation fails if the fit has not converged after this many. From ${MAX_ITERATIONS.min} to ${MAX_ITERATIONS.max}.`}
              error={errors.maxIterations}
            />
          )}
        </fieldset>

        <fieldset
          className="space-y-3 rounded-lg border border-slate-200 bg-white p-5"
          aria-describedby={errors.participants ? "participants-error" : undefined}
        >
          <legend className="px-1 text-lg font-semibold text-slate-900">2. Participants</legend>
          <p className="text-sm text-slate-700">Your organization takes part. Choose the organizations to invite.</p>
          {others.length === 0 ? (
            <p className="text-slate-700">No other active organization can be invited yet.</p>
          ) : (
            <ul className="grid gap-2 sm:grid-cols-2">
              {others.map((organization) => (
                <li key={organization.id} className="flex items-start gap-2">
                  <input
                    id={`participant-${organization.id}`}
                    type="checkbox"
                    className="mt-1 h-4 w-4 rounded border-slate-500"
                    checked={values.participants.includes(organization.id)}
                    onChange={(event) => toggleParticipant(organization.id, event.target.checked)}
                  />
                  <label htmlFor={`participant-${organization.id}`} className="text-sm text-slate-800">
                    {organization.name} <span className="text-slate-600">({organization.type})</span>
                  </label>
                </li>
              ))}
            </ul>
          )}
          {errors.participants && (
            <p id="participants-error" className="text-sm font-medium text-red-700">
              {errors.participants}
            </p>
          )}
        </fieldset>

        <fieldset className="space-y-4 rounded-lg border border-slate-200 bg-white p-5">
          <legend className="px-1 text-lg font-semibold text-slate-900">3. Protection</legend>
          <SelectField
            label="Protocol"
            value={values.protocol}
            required
            onChange={(event) => set("protocol", event.target.value as ProtocolName)}
            hint={protocol?.protects}
            error={errors.protocol}
          >
            {PROTOCOLS.map((item) => (
              <option key={item.value} value={item.value}>
                {item.label}
              </option>
            ))}
          </SelectField>
          <div className="grid gap-4 sm:grid-cols-2">
            <TextField
              label="Threshold"
              inputMode="numeric"
              value={values.threshold}
              required
              onChange={(event) => set("threshold", event.target.value)}
              hint={`How many organizations it takes to reconstruct the result: from 2 to ${n}.`}
              error={errors.threshold}
            />
            <TextField
              label="Minimum participants"
              inputMode="numeric"
              value={values.minParticipants}
              onChange={(event) => set("minParticipants", event.target.value)}
              hint={`Acceptances needed to start, from the threshold to ${n}. Leave empty to wait for all ${n}.`}
              error={errors.minParticipants}
            />
            <TextField
              label="Minimum group size (k)"
              inputMode="numeric"
              value={values.k}
              required
              onChange={(event) => set("k", event.target.value)}
              hint={`Results resting on fewer than k records are withheld; at least ${MIN_K}. Raised to each organization's own minimum.`}
              error={errors.k}
            />
          </div>
        </fieldset>

        <PrivacyFields values={values} errors={errors} set={set} />

        <Button type="submit" busy={create.pending}>
          Send invitations
        </Button>
      </form>
    </>
  );
}

const DEFAULT_VARIABLE_TEXT = { label: "Variable", prompt: "Choose a variable…", hint: "A numeric column of the data catalog." };

/** How the Variable field is named and explained for analyses that give it another role. */
const VARIABLE_TEXT: Partial<Record<AnalysisName, { label: string; prompt: string; hint: string }>> = {
  ols: { label: "Outcome", prompt: "Choose an outcome…", hint: "A numeric column of the data catalog: the outcome the covariates explain." },
  logistic: { label: "Outcome", prompt: "Choose an outcome…", hint: "" },
  crosstab: {
    label: "Row variable",
    prompt: "Choose a row variable…",
    hint: "A categorical or yes/no column of the data catalog: the table's rows.",
  },
  kaplan_meier: {
    label: "Time variable",
    prompt: "Choose a time variable…",
    hint: "A numeric column of the data catalog: the time from the start of follow-up to the event, or to when the person was last seen.",
  },
};
