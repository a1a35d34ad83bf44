"use client";

import { useId, useState } from "react";
import { Button } from "../Button";
import { SelectField, TextField } from "../Field";
import type { CatalogColumn } from "@/lib/types";
import { MAX_COVARIATES, covariateOf, type CovariateValues } from "@/lib/wizard";

interface Props {
  /** Numeric catalog columns. */
  columns: CatalogColumn[];
  covariates: CovariateValues[];
  /** The regression's outcome, which cannot also be a covariate. */
  outcome: string;
  error?: string;
  onChange: (covariates: CovariateValues[]) => void;
  /** For a list of bounded variables other than a regression's covariates: its legend, help, and the most it takes. */
  legend?: string;
  hint?: string;
  max?: number;
  /** What one item is called: "covariate" or "variable". */
  noun?: string;
}

/** A regression's covariates (or a covariance's variables), each with the bounds its values are clipped to. */
export function CovariatesField({ columns, covariates, outcome, error, onChange, legend, hint, max = MAX_COVARIATES, noun = "covariate" }: Props) {
  const id = useId();
  const [choice, setChoice] = useState("");
  const chosen = new Set(covariates.map((covariate) => covariate.name));
  const available = columns.filter((column) => !chosen.has(column.name) && column.name !== outcome);
  const labelOf = (name: string) => columns.find((column) => column.name === name)?.label ?? name;

  const add = () => {
    const column = columns.find((item) => item.name === choice);
    if (!column) return;
    onChange([...covariates, covariateOf(column)]);
    setChoice("");
  };
  const update = (index: number, change: Partial<CovariateValues>) =>
    onChange(covariates.map((covariate, at) => (at === index ? { ...covariate, ...change } : covariate)));

  return (
    <fieldset className="space-y-3" aria-describedby={`${id}-hint${error ? ` ${id}-error` : ""}`}>
      <legend className="text-sm font-medium text-slate-800">{legend ?? "Covariates"}</legend>
      <p id={`${id}-hint`} className="text-sm text-slate-600">
        {hint ?? (
          <>
            The explanatory variables, up to {MAX_COVARIATES}. Values outside a covariate&apos;s bounds are counted as the nearest bound; narrow
            bounds keep the protocol&apos;s numbers small. An intercept is always included.
          </>
        )}
      </p>
      {covariates.length > 0 && (
        <ul className="space-y-3">
          {covariates.map((covariate, index) => (
            <li key={covariate.name} className="grid items-end gap-3 rounded-md border border-slate-200 p-3 sm:grid-cols-[1fr_1fr_1fr_auto]">
              <p className="self-center text-sm font-medium text-slate-900">
                {labelOf(covariate.name)} <span className="font-normal text-slate-600">({covariate.name})</span>
              </p>
              <TextField
                label={`Lower bound of ${covariate.name}`}
                inputMode="decimal"
                value={covariate.lo}
                required
                onChange={(event) => update(index, { lo: event.target.value })}
              />
              <TextField
                label={`Upper bound of ${covariate.name}`}
                inputMode="decimal"
                value={covariate.hi}
                required
                onChange={(event) => update(index, { hi: event.target.value })}
              />
              <Button variant="secondary" onClick={() => onChange(covariates.filter((_, at) => at !== index))}>
                Remove {covariate.name}
              </Button>
            </li>
          ))}
        </ul>
      )}
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-64 flex-1">
          <SelectField label={`${capitalized(noun)} to add`} value={choice} onChange={(event) => setChoice(event.target.value)}>
            <option value="">Choose a {noun}…</option>
            {available.map((column) => (
              <option key={column.name} value={column.name}>
                {column.label} ({column.name})
              </option>
            ))}
          </SelectField>
        </div>
        <Button variant="secondary" onClick={add} disabled={!choice || covariates.length >= max}>
          {`Add ${noun}`}
        </Button>
      </div>
      {error && (
        <p id={`${id}-error`} className="text-sm font-medium text-red-700">
          {error}
        </p>
      )}
    </fieldset>
  );
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
