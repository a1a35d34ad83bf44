/** A computation's settings in words, for its page: what it analyses, its noise and its iterations. */

import { formatProbability } from "./format";
import type { Computation } from "./types";
import { isIterative } from "./wizard";

function record(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** "name (lo to hi)" for a bounded variable, its name for a bare column name. */
function variableText(value: unknown): string | null {
  if (typeof value === "string") return value;
  const variable = record(value);
  if (!variable || typeof variable.name !== "string") return null;
  return variable.lo === undefined ? variable.name : `${variable.name} (${String(variable.lo)} to ${String(variable.hi)})`;
}

/** The variable an analysis reads, or a regression's model as "outcome ~ covariate + covariate"; null: neither. */
export function variableOf(params: Record<string, unknown>): string | null {
  if (params.outcome !== undefined && Array.isArray(params.covariates)) {
    const covariates = params.covariates.map(variableText).filter((item): item is string => item !== null);
    return `${variableText(params.outcome) ?? "outcome"} ~ ${covariates.join(" + ")}`;
  }
  const variable = variableText(params.variable);
  if (variable) return variable;
  return Array.isArray(params.columns) && params.columns.length > 0 ? params.columns.map(String).join(", ") : null;
}

/** Whether and how noise protects the result: "None", or "Central noise, ε = 1" with δ when given. */
export function privacySummary(computation: Pick<Computation, "epsilon" | "delta" | "dp_mode">): string {
  if (computation.epsilon === null) return "None";
  const mode = computation.dp_mode === "distributed" ? "Distributed noise" : "Central noise";
  return `${mode}, ε = ${computation.epsilon}${computation.delta ? `, δ = ${formatProbability(computation.delta)}` : ""}`;
}

/** The iteration limit of an iterative analysis' parameters, when it has one. */
export function maxIterationsOf(params: Record<string, unknown>): number | null {
  return typeof params.max_iterations === "number" ? params.max_iterations : null;
}

/** "iteration 3 of at most 50" while an iterative analysis runs; null for other analyses. */
export function iterationText(computation: Pick<Computation, "analysis" | "iteration" | "params">): string | null {
  if (!isIterative(computation.analysis)) return null;
  const most = maxIterationsOf(computation.params);
  return `iteration ${computation.iteration}${most === null ? "" : ` of at most ${most}`}`;
}
