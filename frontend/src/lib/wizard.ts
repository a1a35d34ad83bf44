/** The new-computation form: its values, the checks made before sending, and the request it becomes. */

import type { FieldError } from "./api";
import type { CatalogCategory, CatalogColumn, ComputationSpec, ProtocolName } from "./types";

export type AnalysisName = "mean" | "variance" | "histogram" | "count";

export const ANALYSES: { value: AnalysisName; label: string; help: string }[] = [
  { value: "mean", label: "Mean", help: "The average of a variable over every participant's records." },
  { value: "variance", label: "Variance", help: "How widely a variable spreads around its mean, with the mean itself." },
  { value: "histogram", label: "Histogram", help: "How many records fall in each of equal-width bins between the bounds." },
  { value: "count", label: "Count", help: "How many records have a value for the variable." },
];

export const PROTOCOLS: { value: ProtocolName; label: string; protects: string }[] = [
  {
    value: "shamir",
    label: "Shamir secret sharing",
    protects:
      "No single organization, and not the exchange, sees any organization's input; a threshold of organizations working together could.",
  },
  {
    value: "secagg",
    label: "Secure aggregation",
    protects:
      "The same protection as Shamir secret sharing, built for long lists of numbers, and the computation still finishes when some organizations drop out.",
  },
  {
    value: "paillier",
    label: "Paillier encryption",
    protects:
      "The exchange only adds encrypted numbers it cannot read; only the requesting organization can decrypt the total.",
  },
  {
    value: "hybrid",
    label: "Hybrid",
    protects:
      "The exchange sees nothing, and an organization's input is exposed only if a threshold of organizations collude.",
  },
];

export const MIN_K = 5;

export interface WizardValues {
  title: string;
  analysis: AnalysisName;
  variable: string;
  lo: string;
  hi: string;
  bins: string;
  /** The other organizations invited; the requesting organization always takes part. */
  participants: string[];
  protocol: ProtocolName;
  threshold: string;
  minParticipants: string;
  k: string;
  epsilon: string;
}

export type WizardField = keyof WizardValues;
export type WizardErrors = Partial<Record<WizardField, string>>;

export const INITIAL_VALUES: WizardValues = {
  title: "",
  analysis: "mean",
  variable: "",
  lo: "",
  hi: "",
  bins: "10",
  participants: [],
  protocol: "shamir",
  threshold: "2",
  minParticipants: "",
  k: "10",
  epsilon: "",
};

/** Columns an analysis can bound: numeric ones of the catalog, each listed once. */
export function numericColumns(catalog: CatalogCategory[]): CatalogColumn[] {
  const seen = new Set<string>();
  const columns: CatalogColumn[] = [];
  for (const category of catalog) {
    for (const column of category.columns) {
      if ((column.kind === "number" || column.kind === "integer") && !seen.has(column.name)) {
        seen.add(column.name);
        columns.push(column);
      }
    }
  }
  return columns;
}

function integer(value: string): number | null {
  const text = value.trim();
  return /^-?\d+$/.test(text) ? Number(text) : null;
}

function decimal(value: string): number | null {
  const text = value.trim();
  if (text === "") return null;
  const number = Number(text);
  return Number.isFinite(number) ? number : null;
}

export function usesBounds(analysis: AnalysisName): boolean {
  return analysis !== "count";
}

/** Every problem the exchange would refuse the form for that can be seen without asking it. */
export function validateWizard(values: WizardValues): WizardErrors {
  const errors: WizardErrors = {};
  const n = values.participants.length + 1;

  if (!values.variable) errors.variable = "Choose a variable.";
  if (usesBounds(values.analysis)) {
    const lo = decimal(values.lo);
    const hi = decimal(values.hi);
    if (lo === null) errors.lo = "Enter the lower bound as a number.";
    if (hi === null) errors.hi = "Enter the upper bound as a number.";
    if (lo !== null && hi !== null && lo >= hi) errors.hi = "The upper bound must be greater than the lower bound.";
  }
  if (values.analysis === "histogram") {
    const bins = integer(values.bins);
    if (bins === null || bins < 1 || bins > 10_000) errors.bins = "Enter a whole number of bins from 1 to 10,000.";
  }
  if (values.participants.length === 0) errors.participants = "Invite at least one other organization.";

  const threshold = integer(values.threshold);
  if (threshold === null || threshold < 2 || threshold > n) {
    errors.threshold = `The threshold must be a whole number from 2 to ${n}, the number of participating organizations.`;
  }
  if (values.minParticipants.trim() !== "") {
    const minimum = integer(values.minParticipants);
    const low = threshold !== null && threshold >= 2 ? threshold : 2;
    if (minimum === null || minimum < low || minimum > n) {
      errors.minParticipants = `The minimum number of participants must be a whole number from ${low} (the threshold) to ${n}.`;
    }
  }
  const k = integer(values.k);
  if (k === null || k < MIN_K || k > 100_000) errors.k = `k must be a whole number of at least ${MIN_K}.`;
  if (values.epsilon.trim() !== "") {
    const epsilon = decimal(values.epsilon);
    if (epsilon === null || epsilon <= 0 || epsilon > 10) errors.epsilon = "Epsilon must be greater than 0 and at most 10.";
  }
  return errors;
}

/** The body of POST /secure-computations/initialize for values that passed `validateWizard`. */
export function toSpec(values: WizardValues, ownOrganizationId: string): ComputationSpec {
  const variable = { name: values.variable, lo: Number(values.lo), hi: Number(values.hi) };
  const params: Record<string, unknown> =
    values.analysis === "count"
      ? { columns: [values.variable] }
      : values.analysis === "histogram"
        ? { variable, bins: Number(values.bins) }
        : { variable };
  const threshold = Number(values.threshold);
  const n = values.participants.length + 1;
  return {
    title: values.title.trim(),
    analysis: values.analysis,
    params,
    participants: [ownOrganizationId, ...values.participants],
    protocol: values.protocol,
    threshold,
    min_participants: values.minParticipants.trim() === "" ? n : Number(values.minParticipants),
    k: Number(values.k),
    ...(values.epsilon.trim() === "" ? {} : { epsilon: Number(values.epsilon) }),
  };
}

const SERVER_FIELDS: [RegExp, WizardField][] = [
  [/^title$/, "title"],
  [/^analysis$/, "analysis"],
  [/^params\.variable\.name$/, "variable"],
  [/^params\.columns(\.\d+)?$/, "variable"],
  [/^params\.variable\.lo$/, "lo"],
  [/^params\.variable(\.hi)?$/, "hi"],
  [/^params\.bins$/, "bins"],
  [/^participants(\.\d+)?$/, "participants"],
  [/^protocol$/, "protocol"],
  [/^threshold$/, "threshold"],
  [/^min_participants$/, "minParticipants"],
  [/^k$/, "k"],
  [/^epsilon$/, "epsilon"],
];

/**
 * Places the exchange's field errors beside the form's inputs. The exchange names fields as the request
 * nests them (`params.variable.lo`, or `spec.threshold` when it tells the request's two shapes apart).
 * Returns the errors placed and the server's field names they came from.
 */
export function placeServerErrors(fieldErrors: FieldError[]): { errors: WizardErrors; placed: string[] } {
  const errors: WizardErrors = {};
  const placed: string[] = [];
  for (const item of fieldErrors) {
    const name = item.field.replace(/^spec\./, "");
    const match = SERVER_FIELDS.find(([pattern]) => pattern.test(name));
    if (!match) continue;
    const field = match[1];
    errors[field] = errors[field] ? `${errors[field]} ${item.message}` : item.message;
    placed.push(item.field);
  }
  return { errors, placed };
}
