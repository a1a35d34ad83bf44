import { describe, expect, it } from "vitest";
import { histogramOf, resultRows } from "@/lib/result";

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
