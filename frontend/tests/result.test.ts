import { describe, expect, it } from "vitest";
import fixtures from "./fixtures/released.json";
import { toCsv } from "@/lib/csv";
import { formatPValue, formatProbability, formatStat, ordinal } from "@/lib/format";
import {
  crosstabOf,
  crosstabTable,
  histogramOf,
  histogramTable,
  matricesOf,
  matrixTable,
  meansTable,
  planFacts,
  privacyRows,
  protectionRows,
  regressionOf,
  regressionTable,
  released,
  releasedPrivacyOf,
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

// Protection records as the exchange's coordinators wrote them for a mean of mean_arterial_pressure (40 to 140)
// over three vault datasets (backend tests/jobs/test_hosted_privacy.py and test_distributed_privacy.py); in the
// distributed one, party 3 contributes through its own agent instead, so its dataset is not charged here.
const centralRelease = {
  protocol: "shamir",
  threshold: 2,
  parties: [1, 2, 3],
  k: 5,
  clipped: 0,
  suppressed: [],
  frac_bits: 40,
  epsilon_spent: 1.0,
  differential_privacy: {
    mode: "central",
    noised_by: "exchange",
    mechanism: "laplace",
    epsilon: 1.0,
    delta: 0.0,
    scale: 2.7812500000025295,
    charged: { "3a63b516-d586-42d0-b728-008c99f1c0d4": 1.0, "73f3fc14-f827-4138-9fad-0c91ebda7273": 1.0, "a482ef3e-1c6a-4512-9c5b-298241396921": 1.0 },
    not_charged: [],
  },
};
const recipientRelease = {
  ...centralRelease,
  protocol: "paillier",
  clipped: -7,
  differential_privacy: { ...centralRelease.differential_privacy, noised_by: "party 1 (the result recipient)" },
};
const distributedRelease = {
  protocol: "secagg",
  threshold: 2,
  parties: [1, 2, 3],
  k: 5,
  clipped: 9,
  suppressed: [],
  frac_bits: 33,
  epsilon_spent: 0.5,
  differential_privacy: {
    mode: "distributed",
    noised_by: "each of the 3 contributing parties, before sharing its input",
    mechanism: "distributed_discrete_gaussian",
    epsilon: 0.5,
    delta: 1e-6,
    scale: 15.028365355722139,
    honest_parties: 2,
    released_scale: 18.40591339481972,
    charged: { "8a1ac83e-a08c-47c2-ae0e-255de3657321": 0.5, "f394c845-f6a1-43f0-93b8-3c8ac6271a8e": 0.5 },
    not_charged: [3],
  },
};

describe("what protects a result", () => {
  it("lists protocol, threshold, parties, k, epsilon, suppressed cells and clipped values", () => {
    const protection = { ...centralRelease, clipped: 4, suppressed: ["count[1,7]", "count[2,2]"] };
    expect(protectionRows(protection, of("crosstab"))).toEqual([
      { label: "Protocol", value: "shamir" },
      { label: "Threshold", value: "2 of 3" },
      { label: "Parties contributing", value: 3 },
      { label: "Minimum group size (k)", value: 5 },
      { label: "Privacy budget spent (ε)", value: 1 },
      { label: "Differential privacy", value: "Central noise" },
      { label: "Noise", value: "Laplace" },
      { label: "Noise scale (per unit one record can change)", value: 2.7812500000025295 },
      { label: "Noise added by", value: "The exchange" },
      { label: "Datasets charged ε", value: 3 },
      { label: "Cells suppressed", value: 2 },
      { label: "Values clipped to the bounds", value: "4 (with noise)" },
    ]);
    expect(protectionRows({ protocol: "secagg", k: 10, epsilon_spent: null }, null)).toContainEqual({
      label: "Privacy budget spent (ε)",
      value: "None: no differential privacy",
    });
    expect(protectionRows({ protocol: "secagg", k: 10, epsilon_spent: null }, null).map((row) => row.label)).not.toContain("Noise");
  });

  it("names the result recipient that added central noise after decrypting", () => {
    const rows = protectionRows(recipientRelease, null);
    expect(rows).toContainEqual({ label: "Noise added by", value: "Party 1 (the result recipient)" });
    expect(rows).toContainEqual({ label: "Values clipped to the bounds", value: "-7 (with noise)" });
  });

  it("shows distributed noise: delta, the scale released, whose shares carry the guarantee and who was not charged", () => {
    expect(protectionRows(distributedRelease, null)).toEqual([
      { label: "Protocol", value: "secagg" },
      { label: "Threshold", value: "2 of 3" },
      { label: "Parties contributing", value: 3 },
      { label: "Minimum group size (k)", value: 5 },
      { label: "Privacy budget spent (ε)", value: 0.5 },
      { label: "Differential privacy", value: "Distributed noise" },
      { label: "Noise", value: "Discrete Gaussian, a share from each organization" },
      { label: "Privacy δ", value: "1e-6" },
      { label: "Noise scale (per unit one record can change)", value: 15.028365355722139 },
      { label: "Noise scale released, all shares together", value: 18.40591339481972 },
      { label: "Noise added by", value: "Each of the 3 contributing parties, before sharing its input" },
      { label: "Guarantee carried by", value: "The noise shares of any 2 contributing organizations" },
      { label: "Datasets charged ε", value: 2 },
      { label: "Not charged", value: "Party 3: data from the organization's own systems, whose budget the exchange does not keep" },
      { label: "Cells suppressed", value: 0 },
      { label: "Values clipped to the bounds", value: "9 (with noise)" },
    ]);
  });

  it("reads a release's noise record defensively", () => {
    expect(releasedPrivacyOf({ protocol: "shamir" })).toBeNull();
    expect(releasedPrivacyOf({ differential_privacy: { mode: "sideways", scale: "big", not_charged: [2, "x", 4] } })).toEqual({
      mode: null,
      mechanism: null,
      epsilon: null,
      delta: null,
      scale: null,
      releasedScale: null,
      noisedBy: null,
      honestParties: null,
      datasetsCharged: null,
      notCharged: [2, 4],
    });
  });
});

describe("the noise a computation plans", () => {
  // GET /secure-computations/{id}/status's differential_privacy for the same means (hdx.computations.protection.describe).
  it("describes central and distributed plans as the result does", () => {
    const central = planFacts({
      mode: "central",
      mechanism: "gaussian",
      epsilon: 1.0,
      delta: 1e-6,
      noise_scale: 7.320348968232698,
      noised_by: "the result recipient's party, right after decrypting",
      honest_parties: null,
    });
    expect(privacyRows(central)).toEqual([
      { label: "Differential privacy", value: "Central noise" },
      { label: "Noise", value: "Gaussian" },
      { label: "Privacy δ", value: "1e-6" },
      { label: "Noise scale (per unit one record can change)", value: 7.320348968232698 },
      { label: "Noise added by", value: "The result recipient's party, right after decrypting" },
    ]);
    const distributed = planFacts({
      mode: "distributed",
      mechanism: "distributed_discrete_gaussian",
      epsilon: 0.5,
      delta: 1e-6,
      noise_scale: 15.028365355722139,
      noised_by: "each contributing party, on its own input before sharing it",
      honest_parties: 2,
    });
    expect(privacyRows(distributed)).toContainEqual({ label: "Guarantee carried by", value: "The noise shares of any 2 contributing organizations" });
    // The plan's scale is the one the parties' shares reach, as the release records it.
    expect(distributed.scale).toBe(releasedPrivacyOf(distributedRelease)?.scale);
  });
});

describe("number formats", () => {
  it("prints small probabilities as people write them", () => {
    expect([1e-6, 1e-5, 0.001, 0.5, 0].map(formatProbability)).toEqual(["1e-6", "1e-5", "0.001", "0.5", "0"]);
  });

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

describe("a withheld count of clipped values", () => {
  it("is shown as withheld, not left out, when the release lists it as suppressed", () => {
    const withheld = released({ analysis: "mean", n: 40, values: { mean: 3 }, suppressed: ["clipped"], clipped: null, notes: [] });
    expect(protectionRows({ protocol: "shamir" }, withheld)).toContainEqual({ label: "Values clipped to the bounds", value: "Withheld: fewer than k" });
    const none = released({ analysis: "mean", n: 40, values: { mean: 3 }, suppressed: [], clipped: null, notes: [] });
    expect(protectionRows({ protocol: "shamir" }, none).map((row) => row.label)).not.toContain("Values clipped to the bounds");
  });
});
