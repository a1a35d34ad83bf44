import { describe, expect, it } from "vitest";
import { csvFileName, neutralize, toCsv } from "@/lib/csv";

describe("neutralize", () => {
  it("prefixes text a spreadsheet would run as a formula with a single quote", () => {
    expect(neutralize("=HYPERLINK(\"http://x\")")).toBe("'=HYPERLINK(\"http://x\")");
    expect(neutralize("+1+2")).toBe("'+1+2");
    expect(neutralize("-2+3")).toBe("'-2+3");
    expect(neutralize("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(neutralize("\t=1")).toBe("'\t=1");
    expect(neutralize("\r=1")).toBe("'\r=1");
  });

  it("leaves plain numbers, written as numbers or as text, and ordinary text alone", () => {
    expect(neutralize(-1.5)).toBe("-1.5");
    expect(neutralize("-1.5")).toBe("-1.5");
    expect(neutralize("+3")).toBe("+3");
    expect(neutralize("-2e-5")).toBe("-2e-5");
    expect(neutralize(0.000012)).toBe("0.000012");
    expect(neutralize("systolic_bp")).toBe("systolic_bp");
    expect(neutralize("<5")).toBe("<5");
    expect(neutralize("a=b")).toBe("a=b");
  });

  it("writes missing and non-finite values as empty cells", () => {
    expect(neutralize(null)).toBe("");
    expect(neutralize(undefined)).toBe("");
    expect(neutralize(Number.NaN)).toBe("");
    expect(neutralize(Number.POSITIVE_INFINITY)).toBe("");
    expect(neutralize(true)).toBe("true");
  });
});

describe("toCsv", () => {
  it("writes a header and rows with CRLF, quoting commas, quotes and line breaks", () => {
    const csv = toCsv({
      title: "Coefficients",
      columns: ["Term", "Coefficient", "Note"],
      rows: [
        ["const", -12.5, 'said "hi", then left'],
        ["age", 0.25, "two\nlines"],
        ["=cmd", null, "-"],
      ],
    });
    expect(csv).toBe(
      'Term,Coefficient,Note\r\nconst,-12.5,"said ""hi"", then left"\r\nage,0.25,"two\nlines"\r\n\'=cmd,,\'-\r\n',
    );
  });

  it("neutralizes header cells too", () => {
    expect(toCsv({ title: "t", columns: ["=x"], rows: [] })).toBe("'=x\r\n");
  });
});

describe("csvFileName", () => {
  it("makes a file name from a title", () => {
    expect(csvFileName("Kaplan-Meier survival: time_to_event")).toBe("kaplan-meier-survival-time-to-event.csv");
    expect(csvFileName("Corrélation")).toBe("correlation.csv");
    expect(csvFileName("***")).toBe("table.csv");
  });
});
