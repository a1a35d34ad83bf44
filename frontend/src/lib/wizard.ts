/** The new-computation form: its values, the checks made before sending, and the request it becomes. */

import type { FieldError } from "./api";
import type { CatalogCategory, CatalogColumn, ComputationSpec, DpMode, ProtocolName } from "./types";

export type AnalysisName =
  | "mean"
  | "variance"
  | "histogram"
  | "count"
  | "sum"
  | "crosstab"
  | "covariance"
  | "kaplan_meier"
  | "ols"
  | "logistic";

export const ANALYSES: { value: AnalysisName; label: string; help: string }[] = [
  { value: "mean", label: "Mean", help: "The average of a variable over every participant's records." },
  { value: "variance", label: "Variance", help: "How widely a variable spreads around its mean, with the mean itself." },
  { value: "histogram", label: "Histogram", help: "How many records fall in each of equal-width bins between the bounds." },
  { value: "count", label: "Count", help: "How many records have a value for the variable." },
  { value: "sum", label: "Sum", help: "The total of a variable over every participant's records, with how many records there are." },
  {
    value: "crosstab",
    label: "Cross-tabulation",
    help: "How many records fall in each combination of two categorical variables, for example sex by diabetes. Cells counting fewer than k people are withheld.",
  },
  {
    value: "covariance",
    label: "Covariance and correlation",
    help: "How several variables vary together: their means, covariance matrix and correlation matrix, over records that have all of them.",
  },
  {
    value: "kaplan_meier",
    label: "Survival curve (Kaplan–Meier)",
    help: "The share of people still free of an event over time, from a time variable and a yes/no event column, with a confidence band.",
  },
  {
    value: "ols",
    label: "Linear regression",
    help: "How a numeric outcome changes with the covariates, by least squares: coefficients, standard errors and R².",
  },
  {
    value: "logistic",
    label: "Logistic regression",
    help: "How the odds of a yes/no outcome change with the covariates, fitted by Newton iterations: one secure sum per iteration, all in this one computation.",
  },
];

/** Analyses that take one secure sum per iteration inside one computation. */
export const ITERATIVE_ANALYSES: readonly string[] = ["logistic"];

export function isIterative(analysis: string): boolean {
  return ITERATIVE_ANALYSES.includes(analysis);
}

export function isRegression(analysis: AnalysisName): boolean {
  return analysis === "ols" || analysis === "logistic";
}

/** The exchange's limits on logistic regression's iterations (LogisticParams.max_iterations). */
export const MAX_ITERATIONS = { min: 1, max: 200, default: 50 } as const;
/** The most covariates a regression takes (DesignParams.covariates). */
export const MAX_COVARIATES = 50;
/** The fewest and most variables of a covariance (CovarianceParams.variables). */
export const COVARIANCE_VARIABLES = { min: 2, max: 50 } as const;
/** The most categories on each side of a cross-tabulation (Categorical.categories). */
export const MAX_CATEGORIES = 1000;
/** The most bins of a histogram or a survival curve. */
export const MAX_BINS = 10_000;

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

export type PrivacyChoice = "none" | DpMode;

/** Protocols whose total only the requesting organization's party decrypts: central noise would come after it saw the exact total, so the exchange refuses it. */
const RECIPIENT_DECRYPTS: readonly ProtocolName[] = ["paillier", "hybrid"];

/** Whether central noise is possible with this protocol (the exchange refuses it for paillier and hybrid). */
export function centralNoiseAllowed(protocol: ProtocolName): boolean {
  return !RECIPIENT_DECRYPTS.includes(protocol);
}

/** Who sees the exact total and adds central noise to it, in words. */
export function centralNoiser(protocol: ProtocolName): string {
  return centralNoiseAllowed(protocol) ? "the exchange" : "nobody: this protocol takes distributed noise only";
}

/**
 * How much more noise distributed mode releases than central noise, as a factor on the standard deviation:
 * the shares of `threshold` parties carry the guarantee and each further contributor adds its share on top.
 */
export function distributedNoiseFactor(contributors: number, threshold: number): number {
  return Math.sqrt(contributors / threshold);
}

export const PRIVACY_CHOICES: { value: PrivacyChoice; label: string; help: (protocol: ProtocolName, threshold: number, n: number) => string }[] = [
  {
    value: "none",
    label: "No differential privacy",
    help: () => "The exact result is released, protected by the protocol and the minimum group size. No privacy budget is spent.",
  },
  {
    value: "central",
    label: "Central noise",
    help: (protocol) =>
      centralNoiseAllowed(protocol)
        ? "Noise is added once, to the exact total, by the exchange: it sees the exact total before adding the noise, everyone else only the noisy result. The least noise for a given ε: Laplace noise, or Gaussian noise when you also give δ."
        : "Not available with this protocol: your organization's party decrypts the exact total, so noise it added afterwards would not protect the other organizations' data from you. Choose distributed noise.",
  },
  {
    value: "distributed",
    label: "Distributed noise",
    help: (_protocol, threshold, n) => {
      const known = Number.isInteger(threshold) && threshold >= 2 && threshold <= n;
      const shares = known ? `any ${threshold} organizations (the threshold)` : "any threshold's worth of organizations";
      const cost = known
        ? ` Every further organization adds its share on top: with all ${n} contributing, the noise is about ${distributedNoiseFactor(n, threshold).toFixed(2)} times what central Gaussian noise with the same ε and δ would add.`
        : " Every further organization adds its share on top, so the result carries more noise than central noise would add.";
      return (
        "Each organization adds its own share of the noise to its numbers before sharing them, so nobody, neither the exchange nor your organization, ever sees the exact total. " +
        `The shares of ${shares} already give the full protection, so organizations dropping out never weaken it.${cost} Needs δ.`
      );
    },
  },
];

export const MIN_K = 5;
/** The exchange's limits on epsilon and delta (backend/hdx/privacy/spend.py). */
export const MIN_EPSILON = 0.001;
export const MAX_EPSILON = 10;
export const MIN_DELTA = 1e-12;
export const MAX_DELTA = 1e-3;

/** A regression covariate with its declared bounds, as typed. */
export interface CovariateValues {
  name: string;
  lo: string;
  hi: string;
}

export interface WizardValues {
  title: string;
  analysis: AnalysisName;
  /** The analysed variable, or a regression's outcome. */
  variable: string;
  lo: string;
  hi: string;
  bins: string;
  covariates: CovariateValues[];
  maxIterations: string;
  /** A cross-tabulation's categories of the row variable (`variable`), comma-separated. */
  rowCategories: string;
  /** A cross-tabulation's column variable. */
  column: string;
  /** A cross-tabulation's categories of the column variable, comma-separated. */
  columnCategories: string;
  /** The variables of a covariance, each with its bounds. */
  variables: CovariateValues[];
  /** A survival curve's 0/1 event column; its time is `variable`. */
  event: string;
  /** A survival curve's confidence level, between 0 and 1. */
  confidence: string;
  /** The other organizations invited; the requesting organization always takes part. */
  participants: string[];
  protocol: ProtocolName;
  threshold: string;
  minParticipants: string;
  k: string;
  privacy: PrivacyChoice;
  epsilon: string;
  delta: string;
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
  covariates: [],
  maxIterations: String(MAX_ITERATIONS.default),
  rowCategories: "",
  column: "",
  columnCategories: "",
  variables: [],
  event: "",
  confidence: "0.95",
  participants: [],
  protocol: "shamir",
  threshold: "2",
  minParticipants: "",
  k: "10",
  privacy: "none",
  epsilon: "",
  delta: "",
};

function columnsOfKind(catalog: CatalogCategory[], kinds: string[]): CatalogColumn[] {
  const seen = new Set<string>();
  const columns: CatalogColumn[] = [];
  for (const category of catalog) {
    for (const column of category.columns) {
      if (kinds.includes(column.kind) && !seen.has(column.name)) {
        seen.add(column.name);
        columns.push(column);
      }
    }
  }
  return columns;
}

/** Columns an analysis can bound: numeric ones of the catalog, each listed once. */
export function numericColumns(catalog: CatalogCategory[]): CatalogColumn[] {
  return columnsOfKind(catalog, ["number", "integer"]);
}

/** Yes/no (0/1) columns of the catalog, each listed once: the outcomes of a logistic regression. */
export function flagColumns(catalog: CatalogCategory[]): CatalogColumn[] {
  return columnsOfKind(catalog, ["flag"]);
}

/** Columns with a fixed set of values, each listed once: coded categories and yes/no columns, as a cross-tabulation counts them. */
export function categoricalColumns(catalog: CatalogCategory[]): CatalogColumn[] {
  return columnsOfKind(catalog, ["category", "flag"]);
}

/** The columns the analysis' variable (a regression's outcome, a table's rows, a curve's time) is chosen from. */
export function variableColumns(analysis: AnalysisName, catalog: CatalogCategory[]): CatalogColumn[] {
  if (analysis === "covariance") return [];
  if (analysis === "logistic") return flagColumns(catalog);
  if (analysis === "crosstab") return categoricalColumns(catalog);
  return numericColumns(catalog);
}

/** Whether the analysis has one variable (or outcome, or row, or time) chosen in the Variable field. */
export function hasVariable(analysis: AnalysisName): boolean {
  return analysis !== "covariance";
}

/** A categorical column's categories as the catalog lists them: its codes, or 0 and 1 for a yes/no column. */
export function categoriesOf(column: CatalogColumn | undefined): string {
  if (!column) return "";
  if (column.kind === "flag") return "0, 1";
  return (column.codes ?? []).join(", ");
}

const bound = (value: number | null | undefined) => (value === null || value === undefined ? "" : String(value));

/** The form with `name` as its variable (or outcome), bounded by the catalog's plausible range. */
export function withVariable(values: WizardValues, name: string, column: CatalogColumn | undefined): WizardValues {
  if (values.analysis === "crosstab") return { ...values, variable: name, rowCategories: categoriesOf(column) };
  return { ...values, variable: name, lo: bound(column?.minimum), hi: bound(column?.maximum) };
}

/** The form with `name` as a cross-tabulation's column variable, with the catalog's categories. */
export function withColumn(values: WizardValues, name: string, column: CatalogColumn | undefined): WizardValues {
  return { ...values, column: name, columnCategories: categoriesOf(column) };
}

/** A covariate bounded by the catalog's plausible range. */
export function covariateOf(column: CatalogColumn): CovariateValues {
  return { name: column.name, lo: bound(column.minimum), hi: bound(column.maximum) };
}

/**
 * The form for another analysis: a variable the new analysis cannot use is cleared, and an iterative
 * analysis starts without differential privacy, which it cannot take.
 */
export function withAnalysis(values: WizardValues, analysis: AnalysisName, catalog: CatalogCategory[]): WizardValues {
  const kept = variableColumns(analysis, catalog).find((column) => column.name === values.variable);
  const rowCategories = analysis === "crosstab" && kept && !values.rowCategories ? { rowCategories: categoriesOf(kept) } : {};
  return {
    ...values,
    analysis,
    ...(kept ? rowCategories : { variable: "", lo: "", hi: "", rowCategories: "" }),
    ...(isIterative(analysis) ? { privacy: "none" as const } : {}),
  };
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

/** Whether the variable (a linear regression's outcome) is bounded: a count needs no bounds, a 0/1 outcome has its own. */
export function usesBounds(analysis: AnalysisName): boolean {
  return !["count", "logistic", "crosstab", "covariance"].includes(analysis);
}

/**
 * A cross-tabulation's categories as typed, comma-separated: whole numbers when every one is a whole number
 * (a yes/no or integer column), text otherwise; or what is wrong with them.
 */
export function parseCategories(text: string): { categories: (string | number)[] } | { problem: string } {
  const items = text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (items.length === 0) return { problem: "Enter at least one category, separated by commas." };
  if (items.length > MAX_CATEGORIES) return { problem: `Enter at most ${MAX_CATEGORIES} categories.` };
  const repeated = items.find((item, index) => items.indexOf(item) !== index);
  if (repeated !== undefined) return { problem: `The category ${repeated} is listed twice.` };
  if (items.some((item) => item.length > 200)) return { problem: "A category is at most 200 characters long." };
  const whole = items.every((item) => /^-?\d+$/.test(item));
  return { categories: whole ? items.map(Number) : items };
}

/** A covariance's variables: enough of them, each bounded. */
function covarianceProblems(variables: CovariateValues[]): string | undefined {
  const { min, max } = COVARIANCE_VARIABLES;
  if (variables.length < min) return `Add at least ${min} variables.`;
  if (variables.length > max) return `A covariance takes at most ${max} variables.`;
  return boundProblems(variables);
}

function crosstabProblems(values: WizardValues, errors: WizardErrors): void {
  const rows = parseCategories(values.rowCategories);
  if ("problem" in rows) errors.rowCategories = rows.problem;
  if (!values.column) errors.column = "Choose a column variable.";
  else if (values.column === values.variable) errors.column = "The column variable must differ from the row variable.";
  const columns = parseCategories(values.columnCategories);
  if ("problem" in columns) errors.columnCategories = columns.problem;
}

function survivalProblems(values: WizardValues, errors: WizardErrors): void {
  if (!values.event) errors.event = "Choose an event column.";
  else if (values.event === values.variable) errors.event = "The event column must differ from the time variable.";
  const confidence = decimal(values.confidence);
  if (confidence === null || confidence <= 0 || confidence >= 1) {
    errors.confidence = "The confidence level must be greater than 0 and less than 1, for example 0.95.";
  }
}

const VARIABLE_REQUIRED: Partial<Record<AnalysisName, string>> = {
  ols: "Choose an outcome.",
  logistic: "Choose an outcome.",
  crosstab: "Choose a row variable.",
  kaplan_meier: "Choose a time variable.",
};

export const NO_DP_FOR_ITERATIVE =
  "Differential privacy is not available for logistic regression: it runs one secure sum per Newton iteration, while the noise is calibrated to a single release, and Newton steps on noisy sums would not settle on the answer.";

function covariateProblems(values: WizardValues): string | undefined {
  const { covariates } = values;
  if (covariates.length === 0) return "Add at least one covariate.";
  if (covariates.length > MAX_COVARIATES) return `A regression takes at most ${MAX_COVARIATES} covariates.`;
  const problems: string[] = [];
  if (covariates.some((covariate) => covariate.name === values.variable)) problems.push("The outcome cannot also be a covariate.");
  const bounds = boundProblems(covariates);
  if (bounds) problems.push(bounds);
  return problems.length > 0 ? problems.join(" ") : undefined;
}

function boundProblems(variables: CovariateValues[]): string | undefined {
  const problems: string[] = [];
  for (const variable of variables) {
    const lo = decimal(variable.lo);
    const hi = decimal(variable.hi);
    if (lo === null || hi === null) problems.push(`Enter both bounds of ${variable.name} as numbers.`);
    else if (lo >= hi) problems.push(`The upper bound of ${variable.name} must be greater than its lower bound.`);
  }
  return problems.length > 0 ? problems.join(" ") : undefined;
}

function privacyProblems(values: WizardValues, errors: WizardErrors): void {
  if (values.privacy === "none") return;
  if (isIterative(values.analysis)) {
    errors.privacy = `${NO_DP_FOR_ITERATIVE} Choose “No differential privacy”.`;
    return;
  }
  if (values.privacy === "central" && !centralNoiseAllowed(values.protocol)) {
    errors.privacy = `${values.protocol} takes distributed noise only: your organization's party decrypts the exact total, so central noise would not protect the other organizations' data from you.`;
  }
  const epsilon = decimal(values.epsilon);
  if (epsilon === null || epsilon < MIN_EPSILON || epsilon > MAX_EPSILON) {
    errors.epsilon = `Epsilon must be between ${MIN_EPSILON} and ${MAX_EPSILON}.`;
  }
  if (values.delta.trim() === "") {
    if (values.privacy === "distributed") errors.delta = "Distributed noise is Gaussian and needs delta, for example 1e-6.";
    return;
  }
  const delta = decimal(values.delta);
  if (delta === null || delta < MIN_DELTA || delta > MAX_DELTA) errors.delta = `Delta must be between ${MIN_DELTA} and ${MAX_DELTA}, for example 1e-6.`;
}

/** Every problem the exchange would refuse the form for that can be seen without asking it. */
export function validateWizard(values: WizardValues): WizardErrors {
  const errors: WizardErrors = {};
  const n = values.participants.length + 1;

  if (hasVariable(values.analysis) && !values.variable) errors.variable = VARIABLE_REQUIRED[values.analysis] ?? "Choose a variable.";
  if (usesBounds(values.analysis)) {
    const lo = decimal(values.lo);
    const hi = decimal(values.hi);
    if (lo === null) errors.lo = "Enter the lower bound as a number.";
    if (hi === null) errors.hi = "Enter the upper bound as a number.";
    if (lo !== null && hi !== null && lo >= hi) errors.hi = "The upper bound must be greater than the lower bound.";
  }
  if (values.analysis === "histogram" || values.analysis === "kaplan_meier") {
    const bins = integer(values.bins);
    if (bins === null || bins < 1 || bins > MAX_BINS) errors.bins = "Enter a whole number of bins from 1 to 10,000.";
  }
  if (values.analysis === "crosstab") crosstabProblems(values, errors);
  if (values.analysis === "covariance") {
    const problems = covarianceProblems(values.variables);
    if (problems) errors.variables = problems;
  }
  if (values.analysis === "kaplan_meier") survivalProblems(values, errors);
  if (isRegression(values.analysis)) {
    const problems = covariateProblems(values);
    if (problems) errors.covariates = problems;
  }
  if (values.analysis === "logistic") {
    const iterations = integer(values.maxIterations);
    if (iterations === null || iterations < MAX_ITERATIONS.min || iterations > MAX_ITERATIONS.max) {
      errors.maxIterations = `Enter a whole number of iterations from ${MAX_ITERATIONS.min} to ${MAX_ITERATIONS.max}.`;
    }
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
  privacyProblems(values, errors);
  return errors;
}

function paramsOf(values: WizardValues): Record<string, unknown> {
  const variable = { name: values.variable, lo: Number(values.lo), hi: Number(values.hi) };
  const covariates = values.covariates.map((covariate) => ({ name: covariate.name, lo: Number(covariate.lo), hi: Number(covariate.hi) }));
  switch (values.analysis) {
    case "count":
      return { columns: [values.variable] };
    case "histogram":
      return { variable, bins: Number(values.bins) };
    case "ols":
      return { outcome: variable, covariates };
    case "logistic":
      return { outcome: values.variable, covariates, max_iterations: Number(values.maxIterations) };
    case "crosstab":
      return {
        row: { name: values.variable, categories: categoriesFor(values.rowCategories) },
        column: { name: values.column, categories: categoriesFor(values.columnCategories) },
      };
    case "covariance":
      return { variables: values.variables.map((item) => ({ name: item.name, lo: Number(item.lo), hi: Number(item.hi) })) };
    case "kaplan_meier":
      return { time: variable, event: values.event, bins: Number(values.bins), confidence: Number(values.confidence) };
    default:
      return { variable };
  }
}

function categoriesFor(text: string): (string | number)[] {
  const parsed = parseCategories(text);
  return "categories" in parsed ? parsed.categories : [];
}

function privacyOf(values: WizardValues): Pick<ComputationSpec, "epsilon" | "delta" | "dp_mode"> {
  if (values.privacy === "none") return {};
  return {
    epsilon: Number(values.epsilon),
    ...(values.delta.trim() === "" ? {} : { delta: Number(values.delta) }),
    dp_mode: values.privacy,
  };
}

/** The body of POST /secure-computations/initialize for values that passed `validateWizard`. */
export function toSpec(values: WizardValues, ownOrganizationId: string): ComputationSpec {
  const threshold = Number(values.threshold);
  const n = values.participants.length + 1;
  return {
    title: values.title.trim(),
    analysis: values.analysis,
    params: paramsOf(values),
    participants: [ownOrganizationId, ...values.participants],
    protocol: values.protocol,
    threshold,
    min_participants: values.minParticipants.trim() === "" ? n : Number(values.minParticipants),
    k: Number(values.k),
    ...privacyOf(values),
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
  [/^params\.outcome\.lo$/, "lo"],
  [/^params\.outcome\.hi$/, "hi"],
  [/^params\.outcome(\.name)?$/, "variable"],
  [/^params\.covariates(\..+)?$/, "covariates"],
  [/^params\.max_iterations$/, "maxIterations"],
  [/^params\.row\.categories(\..+)?$/, "rowCategories"],
  [/^params\.row(\.name)?$/, "variable"],
  [/^params\.column\.categories(\..+)?$/, "columnCategories"],
  [/^params\.column(\.name)?$/, "column"],
  [/^params\.variables(\..+)?$/, "variables"],
  [/^params\.time\.name$/, "variable"],
  [/^params\.time\.lo$/, "lo"],
  [/^params\.time(\.hi)?$/, "hi"],
  [/^params\.event$/, "event"],
  [/^params\.confidence$/, "confidence"],
  [/^participants(\.\d+)?$/, "participants"],
  [/^protocol$/, "protocol"],
  [/^threshold$/, "threshold"],
  [/^min_participants$/, "minParticipants"],
  [/^k$/, "k"],
  [/^epsilon$/, "epsilon"],
  [/^delta$/, "delta"],
  [/^dp_mode$/, "privacy"],
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
