/** Reading a computation's released values: the analysis' own values inside the stored result. */

import type { Table } from "./csv";
import { formatProbability, humanize, ordinal } from "./format";
import type { DpMode, PrivacyPlan } from "./types";

export interface ResultRow {
  label: string;
  value: string | number | null;
}

export interface Histogram {
  labels: string[];
  counts: (number | null)[];
}

function record(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** The analysis' values: the result stores `{analysis, n, values, suppressed, clipped, notes}`. */
export function analysisValues(values: Record<string, unknown>): Record<string, unknown> {
  return record(values.values) ?? values;
}

function scalar(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number" || typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "yes" : "no";
  return JSON.stringify(value);
}

const formatEdge = (value: number) => value.toLocaleString(undefined, { maximumFractionDigits: 3 });

/** Bins of a histogram result, labelled by their edges; null counts were suppressed (fewer than k). */
export function histogramOf(values: Record<string, unknown>): Histogram | null {
  const inner = analysisValues(values);
  const { edges, counts } = inner;
  if (!Array.isArray(edges) || !Array.isArray(counts) || edges.length !== counts.length + 1) return null;
  return {
    labels: counts.map((_, index) => `${formatEdge(Number(edges[index]))} – ${formatEdge(Number(edges[index + 1]))}`),
    counts: counts.map((count) => (typeof count === "number" ? count : null)),
  };
}

/** One row per released number, nested names joined with dots; histogram bins are left to `histogramOf`. */
export function resultRows(values: Record<string, unknown>): ResultRow[] {
  const rows: ResultRow[] = [];
  if (typeof values.n === "number") rows.push({ label: "Records (n)", value: values.n });
  const histogram = histogramOf(values) !== null;
  const walk = (prefix: string, value: unknown) => {
    const nested = record(value);
    if (nested) {
      for (const [key, item] of Object.entries(nested)) walk(prefix ? `${prefix}.${key}` : key, item);
    } else if (!(histogram && (prefix === "edges" || prefix === "counts"))) {
      rows.push({ label: prefix, value: scalar(value) });
    }
  };
  walk("", analysisValues(values));
  if (typeof values.clipped === "number") rows.push({ label: "Values clipped to the bounds", value: values.clipped });
  return rows;
}

// Reading each analysis' released values (backend/hdx/analyses: each `release` names its values).

export interface Released {
  analysis: string;
  n: number | null;
  values: Record<string, unknown>;
  suppressed: string[];
  clipped: number | null;
  notes: string[];
}

const numberOrNull = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);
const numbers = (value: unknown): (number | null)[] => (Array.isArray(value) ? value.map(numberOrNull) : []);
const texts = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** The stored result `{analysis, n, values, suppressed, clipped, notes}`, each part checked. */
export function released(stored: Record<string, unknown>, analysis = ""): Released {
  return {
    analysis: typeof stored.analysis === "string" ? stored.analysis : analysis,
    n: numberOrNull(stored.n),
    values: analysisValues(stored),
    suppressed: texts(stored.suppressed),
    clipped: numberOrNull(stored.clipped),
    notes: texts(stored.notes),
  };
}

const SUMMARY_LABELS: [key: string, label: string][] = [
  ["count", "Count"],
  ["sum", "Sum"],
  ["mean", "Mean"],
  ["variance", "Variance"],
  ["std", "Standard deviation"],
];

function quantileLabel(probability: number): string {
  if (probability === 0.5) return "Median";
  const percent = Math.round(probability * 1000) / 10;
  return Number.isInteger(percent) ? `${ordinal(percent)} percentile` : `${percent}th percentile`;
}

/** The single numbers of count, sum, mean, variance and a histogram's quantiles, with readable labels. */
export function summaryRows(result: Released): ResultRow[] {
  const rows: ResultRow[] = [];
  const { values } = result;
  if (result.n !== null && result.analysis !== "count") rows.push({ label: "Records (n)", value: result.n });
  if (typeof values.variable === "string") rows.push({ label: "Variable", value: values.variable });
  for (const [key, label] of SUMMARY_LABELS) {
    const value = numberOrNull(values[key]);
    if (value !== null) rows.push({ label, value });
  }
  const quantiles = record(values.quantiles);
  if (quantiles) {
    const entries = Object.entries(quantiles)
      .map(([p, q]) => [Number(p), numberOrNull(q)] as const)
      .filter(([p]) => Number.isFinite(p))
      .sort(([a], [b]) => a - b);
    for (const [p, q] of entries) rows.push({ label: quantileLabel(p), value: q });
  }
  return rows;
}

export interface SurvivalPoint {
  time: number;
  atRisk: number | null;
  events: number | null;
  survival: number | null;
  lower: number | null;
  upper: number | null;
}

export interface Survival {
  time: string;
  event: string;
  confidence: number;
  points: SurvivalPoint[];
}

/** A Kaplan-Meier curve: survival at the end of each time bin, with its confidence band. */
export function survivalOf(result: Released): Survival | null {
  const { values } = result;
  if (!Array.isArray(values.times) || !Array.isArray(values.survival)) return null;
  const times = numbers(values.times);
  const [atRisk, events, survival, lower, upper] = [values.at_risk, values.events, values.survival, values.lower, values.upper].map(numbers);
  return {
    time: String(values.time ?? "time"),
    event: String(values.event ?? "event"),
    confidence: numberOrNull(values.confidence) ?? 0.95,
    points: times.map((time, index) => ({
      time: time ?? Number.NaN,
      atRisk: atRisk?.[index] ?? null,
      events: events?.[index] ?? null,
      survival: survival?.[index] ?? null,
      lower: lower?.[index] ?? null,
      upper: upper?.[index] ?? null,
    })),
  };
}

export function survivalTable(survival: Survival): Table {
  const level = `${Math.round(survival.confidence * 100)}%`;
  return {
    title: `Kaplan-Meier survival by ${survival.time}`,
    columns: [`Time (${survival.time})`, "At risk", "Events", "Survival", `Lower ${level}`, `Upper ${level}`],
    rows: survival.points.map((point) => [point.time, point.atRisk, point.events, point.survival, point.lower, point.upper]),
  };
}

export interface RegressionRow {
  term: string;
  coefficient: number | null;
  stdError: number | null;
  statistic: number | null;
  pValue: number | null;
  oddsRatio: number | null;
}

export interface Regression {
  model: "ols" | "logistic";
  outcome: string;
  /** "t" for least squares, "z" for logistic regression. */
  statistic: "t" | "z";
  rows: RegressionRow[];
  fit: ResultRow[];
}

const termLabel = (term: string) => (term === "const" ? "Intercept" : term);

/** Coefficients of a least-squares or logistic regression, and how well the model fits. */
export function regressionOf(result: Released): Regression | null {
  const { values } = result;
  if (!Array.isArray(values.terms) || !Array.isArray(values.coefficients)) return null;
  const logistic = result.analysis === "logistic" || Array.isArray(values.odds_ratios);
  const coefficients = numbers(values.coefficients);
  const errors = numbers(values.std_errors);
  const statistics = numbers(logistic ? values.z_values : values.t_values);
  const pValues = numbers(values.p_values);
  const odds = numbers(values.odds_ratios);
  const fit: ResultRow[] = [];
  if (result.n !== null) fit.push({ label: "Records (n)", value: result.n });
  const add = (label: string, value: unknown) => {
    if (typeof value === "number" || typeof value === "string") fit.push({ label, value });
    if (typeof value === "boolean") fit.push({ label, value: value ? "yes" : "no" });
  };
  if (logistic) {
    add("Log-likelihood", values.log_likelihood);
    add("Iterations", values.iterations);
    add("Converged", values.converged);
  } else {
    add("R²", values.r_squared);
    add("Adjusted R²", values.adj_r_squared);
    add("Residual standard error", values.sigma);
    add("Model degrees of freedom", values.df_model);
    add("Residual degrees of freedom", values.df_resid);
  }
  return {
    model: logistic ? "logistic" : "ols",
    outcome: String(values.outcome ?? "outcome"),
    statistic: logistic ? "z" : "t",
    rows: texts(values.terms).map((term, index) => ({
      term: termLabel(term),
      coefficient: coefficients[index] ?? null,
      stdError: errors[index] ?? null,
      statistic: statistics[index] ?? null,
      pValue: pValues[index] ?? null,
      oddsRatio: logistic ? (odds[index] ?? null) : null,
    })),
    fit,
  };
}

export function regressionTable(regression: Regression): Table {
  const logistic = regression.model === "logistic";
  return {
    title: `${logistic ? "Logistic" : "Linear"} regression of ${regression.outcome}`,
    columns: ["Term", "Coefficient", "Std. error", `${regression.statistic} value`, "p-value", ...(logistic ? ["Odds ratio"] : [])],
    rows: regression.rows.map((row) => [
      row.term,
      row.coefficient,
      row.stdError,
      row.statistic,
      row.pValue,
      ...(logistic ? [row.oddsRatio] : []),
    ]),
  };
}

export interface Crosstab {
  row: string;
  column: string;
  rowCategories: string[];
  columnCategories: string[];
  /** null: fewer than k records, withheld. */
  counts: (number | null)[][];
}

export function crosstabOf(result: Released): Crosstab | null {
  const { values } = result;
  if (!Array.isArray(values.row_categories) || !Array.isArray(values.column_categories) || !Array.isArray(values.counts)) {
    return null;
  }
  return {
    row: String(values.row ?? "row"),
    column: String(values.column ?? "column"),
    rowCategories: texts(values.row_categories),
    columnCategories: texts(values.column_categories),
    counts: values.counts.map(numbers),
  };
}

/** A withheld cell as shown and exported: "<k", e.g. "<5". */
export const suppressedCell = (k: number) => `<${k}`;

export function crosstabTable(crosstab: Crosstab, k: number): Table {
  return {
    title: `${crosstab.row} by ${crosstab.column}`,
    columns: [`${crosstab.row} \\ ${crosstab.column}`, ...crosstab.columnCategories],
    rows: crosstab.rowCategories.map((category, i) => [
      category,
      ...crosstab.columnCategories.map((_, j) => {
        const count = crosstab.counts[i]?.[j];
        return count === null || count === undefined ? suppressedCell(k) : count;
      }),
    ]),
  };
}

export interface Matrices {
  variables: string[];
  means: (number | null)[];
  covariance: (number | null)[][];
  correlation: (number | null)[][];
}

export function matricesOf(result: Released): Matrices | null {
  const { values } = result;
  if (!Array.isArray(values.variables) || !Array.isArray(values.covariance) || !Array.isArray(values.correlation)) return null;
  return {
    variables: texts(values.variables),
    means: numbers(values.means),
    covariance: values.covariance.map(numbers),
    correlation: values.correlation.map(numbers),
  };
}

export function matrixTable(title: string, variables: string[], matrix: (number | null)[][]): Table {
  return {
    title,
    columns: ["Variable", ...variables],
    rows: variables.map((name, i) => [name, ...variables.map((_, j) => matrix[i]?.[j] ?? null)]),
  };
}

export function meansTable(matrices: Matrices): Table {
  return {
    title: "Means",
    columns: ["Variable", "Mean"],
    rows: matrices.variables.map((name, i) => [name, matrices.means[i] ?? null]),
  };
}

export function histogramTable(stored: Record<string, unknown>, k: number): Table | null {
  const values = analysisValues(stored);
  const edges = numbers(values.edges);
  const counts = Array.isArray(values.counts) ? values.counts : [];
  if (edges.length !== counts.length + 1 || counts.length === 0) return null;
  return {
    title: `Histogram of ${String(values.variable ?? "the variable")}`,
    columns: ["From", "To", "Records"],
    rows: counts.map((count, index) => [
      edges[index],
      edges[index + 1],
      typeof count === "number" ? count : suppressedCell(k),
    ]),
  };
}

export function summaryTable(rows: ResultRow[]): Table {
  return { title: "Released values", columns: ["Value", "Result"], rows: rows.map((row) => [row.label, row.value]) };
}

/**
 * How differential privacy protects a result: the plan a computation's status shows, or what its release
 * recorded (`protection.differential_privacy`, which adds the released scale and the budgets charged).
 */
export interface NoiseFacts {
  mode: DpMode | null;
  mechanism: string | null;
  epsilon: number | null;
  /** 0 or null: pure epsilon-DP (Laplace noise). */
  delta: number | null;
  /** Per unit of the most one record can change a value. */
  scale: number | null;
  /** Distributed mode: the scale of the noise all contributors' shares add up to. */
  releasedScale: number | null;
  noisedBy: string | null;
  /** Distributed mode: the noise shares of any this many contributors carry the whole guarantee. */
  honestParties: number | null;
  /** Vault datasets whose privacy budget the release was charged to; null when not recorded. */
  datasetsCharged: number | null;
  /** Parties whose agents read their organization's own systems: the exchange keeps no budget for them. */
  notCharged: number[];
}

const MODES: readonly string[] = ["central", "distributed"];

export function planFacts(plan: PrivacyPlan): NoiseFacts {
  return {
    mode: plan.mode,
    mechanism: plan.mechanism,
    epsilon: plan.epsilon,
    delta: plan.delta,
    scale: plan.noise_scale,
    releasedScale: null,
    noisedBy: plan.noised_by,
    honestParties: plan.honest_parties,
    datasetsCharged: null,
    notCharged: [],
  };
}

/** What a release's `protection.differential_privacy` records, each part checked; null without noise. */
export function releasedPrivacyOf(protection: Record<string, unknown>): NoiseFacts | null {
  const dp = record(protection.differential_privacy);
  if (!dp) return null;
  const charged = record(dp.charged);
  return {
    mode: typeof dp.mode === "string" && MODES.includes(dp.mode) ? (dp.mode as DpMode) : null,
    mechanism: typeof dp.mechanism === "string" ? dp.mechanism : null,
    epsilon: numberOrNull(dp.epsilon),
    delta: numberOrNull(dp.delta),
    scale: numberOrNull(dp.scale) ?? numberOrNull(dp.noise_scale),
    releasedScale: numberOrNull(dp.released_scale),
    noisedBy: typeof dp.noised_by === "string" ? dp.noised_by : null,
    honestParties: numberOrNull(dp.honest_parties),
    datasetsCharged: charged ? Object.keys(charged).length : null,
    notCharged: numbers(dp.not_charged).filter((item): item is number => item !== null),
  };
}

const MECHANISMS: Record<string, string> = {
  laplace: "Laplace",
  gaussian: "Gaussian",
  distributed_discrete_gaussian: "Discrete Gaussian, a share from each organization",
};

function listed(items: number[]): string {
  return items.length === 1 ? String(items[0]) : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** Where the noise comes from, how large it is and who carries its cost, in words (epsilon is left to the caller). */
export function privacyRows(facts: NoiseFacts): ResultRow[] {
  const rows: ResultRow[] = [];
  if (facts.mode) rows.push({ label: "Differential privacy", value: facts.mode === "central" ? "Central noise" : "Distributed noise" });
  if (facts.mechanism) rows.push({ label: "Noise", value: MECHANISMS[facts.mechanism] ?? humanize(facts.mechanism) });
  if (facts.delta) rows.push({ label: "Privacy δ", value: formatProbability(facts.delta) });
  if (facts.scale !== null) rows.push({ label: "Noise scale (per unit one record can change)", value: facts.scale });
  if (facts.releasedScale !== null) rows.push({ label: "Noise scale released, all shares together", value: facts.releasedScale });
  if (facts.noisedBy) rows.push({ label: "Noise added by", value: facts.noisedBy === "exchange" ? "The exchange" : humanize(facts.noisedBy) });
  if (facts.honestParties !== null) {
    rows.push({ label: "Guarantee carried by", value: `The noise shares of any ${facts.honestParties} contributing organizations` });
  }
  if (facts.datasetsCharged !== null) rows.push({ label: "Datasets charged ε", value: facts.datasetsCharged });
  if (facts.notCharged.length > 0) {
    rows.push({
      label: "Not charged",
      value: `${facts.notCharged.length === 1 ? "Party" : "Parties"} ${listed(facts.notCharged)}: data from the organization's own systems, whose budget the exchange does not keep`,
    });
  }
  return rows;
}

/** A count of clipped values between 1 and k - 1 is withheld like a small cell: null, and listed as suppressed. */
function withheldClipped(protection: Record<string, unknown>, result: Released | null): boolean {
  const suppressed = Array.isArray(protection.suppressed) ? texts(protection.suppressed) : (result?.suppressed ?? []);
  return suppressed.includes("clipped");
}

/** What protects a released result, from the result's `protection` record and the analysis' own report. */
export function protectionRows(protection: Record<string, unknown>, result: Released | null): ResultRow[] {
  const rows: ResultRow[] = [];
  if (typeof protection.protocol === "string") rows.push({ label: "Protocol", value: protection.protocol });
  const parties = Array.isArray(protection.parties) ? protection.parties.length : null;
  if (typeof protection.threshold === "number") {
    rows.push({ label: "Threshold", value: parties === null ? protection.threshold : `${protection.threshold} of ${parties}` });
  }
  if (parties !== null) rows.push({ label: "Parties contributing", value: parties });
  if (typeof protection.k === "number") rows.push({ label: "Minimum group size (k)", value: protection.k });
  const dp = releasedPrivacyOf(protection);
  const epsilon = numberOrNull(protection.epsilon_spent);
  rows.push({ label: "Privacy budget spent (ε)", value: epsilon ?? "None: no differential privacy" });
  if (dp) rows.push(...privacyRows(dp));
  const suppressed = Array.isArray(protection.suppressed) ? protection.suppressed.length : (result?.suppressed.length ?? 0);
  rows.push({ label: "Cells suppressed", value: suppressed });
  const clipped = numberOrNull(protection.clipped) ?? result?.clipped ?? null;
  // With differential privacy the released count of clipped values carries noise too.
  if (clipped !== null) rows.push({ label: "Values clipped to the bounds", value: dp ? `${clipped} (with noise)` : clipped });
  else if (withheldClipped(protection, result)) rows.push({ label: "Values clipped to the bounds", value: "Withheld: fewer than k" });
  return rows;
}

export interface CurvePoint {
  x: number;
  y: number;
}

/** The survival curve and its band as chart points, starting at survival 1 at `start` (the time's lower bound). */
export function survivalCurve(survival: Survival, start: number | null): { survival: CurvePoint[]; lower: CurvePoint[]; upper: CurvePoint[] } {
  const points = survival.points.filter((point) => Number.isFinite(point.time));
  const first = points[0]?.time ?? 0;
  const width = points.length > 1 ? (points[1]?.time ?? first) - first : first;
  const origin = start ?? first - width;
  const series = (pick: (point: SurvivalPoint) => number | null): CurvePoint[] => [
    { x: origin, y: 1 },
    ...points.flatMap((point) => {
      const y = pick(point);
      return y === null ? [] : [{ x: point.time, y }];
    }),
  ];
  return { survival: series((point) => point.survival), lower: series((point) => point.lower), upper: series((point) => point.upper) };
}
