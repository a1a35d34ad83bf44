import { describe, expect, it } from "vitest";
import { downloadLabel, histogramBars } from "@/lib/chart";

describe("histogramBars", () => {
  it("keeps a real zero as a released count and marks withheld bins apart, up to k", () => {
    const bars = histogramBars({ labels: ["0 – 10", "10 – 20", "20 – 30"], counts: [0, null, 12] }, 5);
    expect(bars.released).toEqual([0, null, 12]);
    expect(bars.withheld).toEqual([null, 5, null]);
    expect(bars.withheldLabel).toBe("Withheld: fewer than 5 records (<5)");
  });
});

describe("downloadLabel", () => {
  it("names the two downloads of a result differently", () => {
    const values = downloadLabel("released values", "Released values");
    const table = downloadLabel("table", "Histogram of age");
    expect(values.text + values.detail).toBe("Download the released values as CSV");
    expect(table.text + table.detail).toBe("Download the table as CSV: Histogram of age");
  });
});
