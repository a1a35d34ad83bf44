import { describe, expect, it } from "vitest";
import { iterationText, maxIterationsOf, privacySummary, variableOf } from "@/lib/describe";

describe("variableOf", () => {
  it("names a bounded variable, counted columns, or a regression's model", () => {
    expect(variableOf({ variable: { name: "bmi", lo: 15, hi: 45 }, bins: 30 })).toBe("bmi (15 to 45)");
    expect(variableOf({ columns: ["age", "bmi"] })).toBe("age, bmi");
    expect(
      variableOf({
        outcome: "target",
        covariates: [
          { name: "mean_radius", lo: -8, hi: 8 },
          { name: "worst_symmetry", lo: -8, hi: 8 },
        ],
        max_iterations: 50,
      }),
    ).toBe("target ~ mean_radius (-8 to 8) + worst_symmetry (-8 to 8)");
    expect(variableOf({ outcome: { name: "glucose", lo: 40, hi: 400 }, covariates: [{ name: "age", lo: 0, hi: 120 }] })).toBe(
      "glucose (40 to 400) ~ age (0 to 120)",
    );
    expect(variableOf({})).toBeNull();
  });
});

describe("privacySummary", () => {
  it("says whether noise protects the result, where it comes from, and its epsilon and delta", () => {
    expect(privacySummary({ epsilon: null, delta: null, dp_mode: null })).toBe("None");
    expect(privacySummary({ epsilon: 1, delta: null, dp_mode: "central" })).toBe("Central noise, ε = 1");
    expect(privacySummary({ epsilon: 2, delta: 0.001, dp_mode: "central" })).toBe("Central noise, ε = 2, δ = 0.001");
    expect(privacySummary({ epsilon: 0.5, delta: 1e-6, dp_mode: "distributed" })).toBe("Distributed noise, ε = 0.5, δ = 1e-6");
  });
});

describe("iterations", () => {
  it("counts a logistic regression's iterations against its limit, and nothing for other analyses", () => {
    const logistic = { analysis: "logistic", iteration: 3, params: { outcome: "event", covariates: [], max_iterations: 50 } };
    expect(iterationText(logistic)).toBe("iteration 3 of at most 50");
    expect(iterationText({ ...logistic, params: {} })).toBe("iteration 3");
    expect(iterationText({ analysis: "mean", iteration: 1, params: {} })).toBeNull();
    expect(maxIterationsOf(logistic.params)).toBe(50);
    expect(maxIterationsOf({})).toBeNull();
  });
});
