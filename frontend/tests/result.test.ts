import { describe, expect, it } from "vitest";
import fixtures from "./fixtures/released.json";
import { toCsv } from "@/lib/csv";
import { formatPValue, formatStat, ordinal } from "@/lib/format";
import {
  crosstabOf,
  crosstabTable,
  histogramOf,
  histogramTable,
  matricesOf,
  matrixTable,
  meansTable,
  protectionRows,
  regressionOf,
  regressionTable,
  released,
  resultRows,
  summaryRows,
  survivalCurve,
  survivalOf,
  survivalTable,
} from "@/lib/result";

const histogram = {
  analysis: "histogram",
  n: 40,
  values: { variable: "age", edges: [0, 50, 100], counts: [32, null], quantiles: { "0.5": 31.25 } },
  suppressed: ["count[1]"],
  clipped: 0,
  notes: [],
};

describe("result values", () => {
  it("reads the bins of a histogram, keeping suppressed counts as null", () => {
    expect(histogramOf(histogram)).toEqual({ labels: ["0 – 50", "50 – 100"], counts: [32, null] });
    expect(histogramOf({ n: 12, values: { variable: "age", mean: 41.5 } })).toBeNull();
  });

  it("lists every released number once, bins aside", () => {
    expect(resultRows(histogram)).toEqual([
      { label: "Records (n)", value: 40 },
      { label: "variable", value: "age" },
      { label: "quantiles.0.5", value: 31.25 },
      { label: "Values clipped to the bounds", value: 0 },
    ]);
    expect(resultRows({ n: 12, values: { variable: "age", mean: 41.5 }, clipped: 1 })).toEqual([
      { label: "Records (n)", value: 12 },
      { label: "variable", value: "age" },
      { label: "mean", value: 41.5 },
      { label: "Values clipped to the bounds", value: 1 },
    ]);
  });
});

// What the exchange's analyses release over scikit-learn's diabetes and breast-cancer data (released.py).
const stored = fixtures as Record<string, Record<string, unknown>>;
const of = (name: string) => released(stored[name] ?? {});

describe("summaries", () => {
  it("labels the numbers of count, mean and variance", () => {
    expect(summaryRows(of("count"))).toEqual([{ label: "Count", value: 442 }]);
    expect(summaryRows(of("mean"))).toEqual([
      { label: "Records (n)", value: 442 },
      { label: "Variable", value: "bmi" },
      { label: "Mean", value: 26.37579185520362 },
    ]);
    expect(summaryRows(of("variance")).map((row) => row.label)).toEqual([
      "Records (n)",
      "Variable",
      "Mean",
      "Variance",
      "Standard deviation",
    ]);
  });

  it("names a histogram's quantiles as percentiles", () => {
    expect(summaryRows(of("histogram")).slice(2)).toEqual([
      { label: "25th percentile", value: 39.417808219178085 },
      { label: "Median", value: 50.68 },
      { label: "75th percentile", value: 59.46 },
    ]);
  });

  it("exports a histogram's bins with withheld counts as <k", () => {
    const table = histogramTable(stored.histogram ?? {}, 5);
    expect(table?.columns).toEqual(["From", "To", "Records"]);
    expect(table?.rows.slice(0, 3)).toEqual([
      [0, 10, "<5"],
      [10, 20, "<5"],
      [20, 30, 41],
    ]);
  });
});

describe("Kaplan-Meier", () => {
  it("reads survival with its confidence band per time bin", () => {
    const survival = survivalOf(of("kaplan_meier"));
    expect(survival?.time).toBe("age");
    expect(survival?.confidence).toBe(0.95);
    expect(survival?.points).toHaveLength(8);
    expect(survival?.points[0]).toEqual({
      time: 25.75,
      atRisk: 442,
      events: 8,
      survival: 0.9819004524886877,
      lower: 0.9641350361533823,
      upper: expect.any(Number),
    });
    for (const point of survival?.points ?? []) {
      expect(point.lower).toBeLessThanOrEqual(point.survival ?? 0);
      expect(point.upper).toBeGreaterThanOrEqual(point.survival ?? 1);
    }
    expect(survivalOf(of("mean"))).toBeNull();
  });

  it("exports the curve as a table", () => {
    const survival = survivalOf(of("kaplan_meier"));
    if (!survival) throw new Error("no curve");
    const table = survivalTable(survival);
    expect(table.columns).toEqual(["Time (age)", "At risk", "Events", "Survival", "Lower 95%", "Upper 95%"]);
    expect(toCsv(table).split("\r\n")[1]).toMatch(/^25\.75,442,8,0\.98190045\d+,0\.96413503\d+,0\.99\d+$/);
  });
});

describe("regressions", () => {
  it("reads least-squares coefficients, errors, t and p values and the fit", () => {
    const regression = regressionOf(of("ols"));
    expect(regression?.model).toBe("ols");
    expect(regression?.rows.map((row) => row.term)).toEqual(["Intercept", "bmi", "bp"]);
    expect(regression?.rows[1]).toEqual({
      term: "bmi",
      coefficient: 8.519011659381276,
      stdError: 0.7046677581545003,
      statistic: 12.08940179367971,
      pValue: 3.047884799125733e-29,
      oddsRatio: null,
    });
    expect(regression?.fit.slice(0, 2)).toEqual([
      { label: "Records (n)", value: 442 },
      { label: "R²", value: 0.3959941772904394 },
    ]);
    expect(regressionTable(regression!).columns).toEqual(["Term", "Coefficient", "Std. error", "t value", "p-value"]);
  });

  it("reads logistic coefficients with odds ratios and the number of iterations", () => {
    const regression = regressionOf(of("logistic"));
    expect(regression?.model).toBe("logistic");
    expect(regression?.statistic).toBe("z");
    expect(regression?.rows[1]?.oddsRatio).toBeCloseTo(Math.exp(regression?.rows[1]?.coefficient ?? 0), 12);
    expect(regression?.fit).toContainEqual({ label: "Iterations", value: 8 });
    expect(regression?.fit).toContainEqual({ label: "Converged", value: "yes" });
    expect(regressionTable(regression!).columns.at(-1)).toBe("Odds ratio");
    expect(regressionOf(of("mean"))).toBeNull();
  });
});

describe("tables", () => {
  it("shows withheld cross-tabulation cells as <k", () => {
    const crosstab = crosstabOf(of("crosstab"));
    if (!crosstab) throw new Error("no table");
    const table = crosstabTable(crosstab, 5);
    expect(table.columns).toEqual(["sex \\ s4", "2", "3", "4", "5", "6", "7"]);
    expect(table.rows).toEqual([
      ["1", 25, 87, 51, 22, 5, "<5"],
      ["2", "<5", 41, 57, 46, 28, 10],
    ]);
  });

  it("lays out covariance and correlation matrices by variable", () => {
    const matrices = matricesOf(of("covariance"));
    if (!matrices) throw new Error("no matrices");
    const correlation = matrixTable("Correlation", matrices.variables, matrices.correlation);
    expect(correlation.columns).toEqual(["Variable", "bmi", "bp", "target"]);
    expect(correlation.rows[0]).toEqual(["bmi", 1, 0.3954108987177126, 0.5864501344746886]);
    expect(meansTable(matrices).rows[2]).toEqual(["target", 152.1334841628959]);
    expect(matricesOf(of("ols"))).toBeNull();
  });
});

describe("what protects a result", () => {
  it("lists protocol, threshold, parties, k, epsilon, suppressed cells and clipped values", () => {
    const protection = {
      protocol: "shamir",
      threshold: 2,
      parties: [1, 2, 3],
      k: 5,
      clipped: 4,
      suppressed: ["count[1,7]", "count[2,2]"],
      frac_bits: 16,
      epsilon_spent: 1.0,
      differential_privacy: { mode: "central", noised_by: "exchange", mechanism: "laplace", epsilon: 1.0, delta: 0, scale: 2.5 },
    };
    expect(protectionRows(protection, of("crosstab"))).toEqual([
      { label: "Protocol", value: "shamir" },
      { label: "Threshold", value: "2 of 3" },
      { label: "Parties contributing", value: 3 },
      { label: "Minimum group size (k)", value: 5 },
      { label: "Privacy budget spent (ε)", value: 1 },
      { label: "Noise", value: "Laplace noise, scale 2.50, added by the exchange" },
      { label: "Cells suppressed", value: 2 },
      { label: "Values clipped to the bounds", value: "4 (with noise)" },
    ]);
    const distributed = { mode: "distributed", mechanism: "distributed_discrete_gaussian", noise_scale: 12.3456, noised_by: "each contributing party, on its own input before sharing it" };
    expect(protectionRows({ epsilon_spent: 0.5, differential_privacy: distributed }, null)).toContainEqual({
      label: "Noise",
      value: "Distributed discrete gaussian noise, scale 12.3, added by each contributing party, on its own input before sharing it",
    });
    expect(protectionRows({ protocol: "secagg", k: 10, epsilon_spent: null }, null)).toContainEqual({
      label: "Privacy budget spent (ε)",
      value: "None: no differential privacy",
    });
  });
});

describe("number formats", () => {
  it("prints statistics, p-values and ordinals", () => {
    expect(formatStat(3.047884799125733e-29)).toBe("3.048e-29");
    expect(formatStat(-203.6232679902328)).toBe((-203.6233).toLocaleString(undefined, { maximumFractionDigits: 4 }));
    expect(formatStat(null)).toBe("—");
    expect(formatPValue(3.047884799125733e-29)).toBe("< 0.001");
    expect(formatPValue(0.04567)).toBe("0.046");
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal)).toEqual([
      "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
    ]);
  });
});

describe("survival curve points", () => {
  it("starts at survival 1 at the time's lower bound, or one bin before the first time", () => {
    const survival = survivalOf(of("kaplan_meier"));
    if (!survival) throw new Error("no curve");
    const curve = survivalCurve(survival, 18);
    expect(curve.survival[0]).toEqual({ x: 18, y: 1 });
    expect(curve.survival[1]).toEqual({ x: 25.75, y: 0.9819004524886877 });
    expect(curve.lower).toHaveLength(9);
    expect(survivalCurve(survival, null).upper[0]).toEqual({ x: 18, y: 1 });
  });
});
