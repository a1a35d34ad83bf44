/** Reading a computation's released values: the analysis' own values inside the stored result. */

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
