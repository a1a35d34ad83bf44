import { describe, expect, it } from "vitest";
import type { CatalogCategory } from "@/lib/types";
import { INITIAL_VALUES, numericColumns, placeServerErrors, toSpec, validateWizard, type WizardValues } from "@/lib/wizard";

const valid: WizardValues = {
  ...INITIAL_VALUES,
  variable: "systolic_bp",
  lo: "50",
  hi: "250",
  participants: ["org-b", "org-c"],
  threshold: "2",
  k: "10",
};

describe("validateWizard", () => {
  it("accepts a complete form", () => {
    expect(validateWizard(valid)).toEqual({});
  });

  it("requires a variable and at least one other organization", () => {
    const errors = validateWizard({ ...valid, variable: "", participants: [] });
    expect(errors.variable).toBeDefined();
    expect(errors.participants).toBeDefined();
  });

  it("keeps the threshold between 2 and the number of organizations, the requester included", () => {
    expect(validateWizard({ ...valid, threshold: "1" }).threshold).toMatch(/from 2 to 3/);
    expect(validateWizard({ ...valid, threshold: "4" }).threshold).toMatch(/from 2 to 3/);
    expect(validateWizard({ ...valid, threshold: "2.5" }).threshold).toBeDefined();
    expect(validateWizard({ ...valid, threshold: "3" }).threshold).toBeUndefined();
  });

  it("keeps the minimum number of participants between the threshold and the number of organizations", () => {
    expect(validateWizard({ ...valid, threshold: "3", minParticipants: "2" }).minParticipants).toMatch(/from 3/);
    expect(validateWizard({ ...valid, minParticipants: "4" }).minParticipants).toMatch(/to 3/);
    expect(validateWizard({ ...valid, minParticipants: "2" }).minParticipants).toBeUndefined();
    expect(validateWizard({ ...valid, minParticipants: "" }).minParticipants).toBeUndefined();
  });

  it("requires k of at least 5", () => {
    expect(validateWizard({ ...valid, k: "4" }).k).toBeDefined();
    expect(validateWizard({ ...valid, k: "" }).k).toBeDefined();
    expect(validateWizard({ ...valid, k: "5" }).k).toBeUndefined();
  });

  it("requires numeric bounds with lo below hi, except for counts", () => {
    expect(validateWizard({ ...valid, lo: "250", hi: "50" }).hi).toMatch(/greater/);
    expect(validateWizard({ ...valid, lo: "5", hi: "5" }).hi).toMatch(/greater/);
    expect(validateWizard({ ...valid, lo: "low" }).lo).toBeDefined();
    expect(validateWizard({ ...valid, analysis: "count", lo: "", hi: "" })).toEqual({});
  });

  it("checks histogram bins and an optional epsilon", () => {
    expect(validateWizard({ ...valid, analysis: "histogram", bins: "0" }).bins).toBeDefined();
    expect(validateWizard({ ...valid, analysis: "histogram", bins: "12" }).bins).toBeUndefined();
    expect(validateWizard({ ...valid, epsilon: "0" }).epsilon).toBeDefined();
    expect(validateWizard({ ...valid, epsilon: "11" }).epsilon).toBeDefined();
    expect(validateWizard({ ...valid, epsilon: "0.5" }).epsilon).toBeUndefined();
  });
});

describe("toSpec", () => {
  it("puts the requesting organization first and fills the minimum with every organization", () => {
    expect(toSpec({ ...valid, title: " BP " }, "org-a")).toEqual({
      title: "BP",
      analysis: "mean",
      params: { variable: { name: "systolic_bp", lo: 50, hi: 250 } },
      participants: ["org-a", "org-b", "org-c"],
      protocol: "shamir",
      threshold: 2,
      min_participants: 3,
      k: 10,
    });
  });

  it("shapes the parameters of each analysis", () => {
    expect(toSpec({ ...valid, analysis: "histogram", bins: "20" }, "a").params).toEqual({
      variable: { name: "systolic_bp", lo: 50, hi: 250 },
      bins: 20,
    });
    expect(toSpec({ ...valid, analysis: "count" }, "a").params).toEqual({ columns: ["systolic_bp"] });
    expect(toSpec({ ...valid, epsilon: "1.5", minParticipants: "2" }, "a")).toMatchObject({ epsilon: 1.5, min_participants: 2 });
  });
});

describe("placeServerErrors", () => {
  it("places nested and tagged field names beside their inputs and leaves the rest", () => {
    const { errors, placed } = placeServerErrors([
      { field: "spec.threshold", message: "too high" },
      { field: "params.variable.lo", message: "not a number" },
      { field: "params.variable", message: "bounds need lo < hi" },
      { field: "participants", message: "unknown" },
      { field: "deadlines", message: "too short" },
    ]);
    expect(errors).toEqual({ threshold: "too high", lo: "not a number", hi: "bounds need lo < hi", participants: "unknown" });
    expect(placed).toEqual(["spec.threshold", "params.variable.lo", "params.variable", "participants"]);
  });
});

describe("numericColumns", () => {
  it("lists numeric columns once, across categories", () => {
    const column = (name: string, kind: string) => ({
      name,
      label: name,
      kind,
      unit: null,
      loinc: null,
      minimum: 0,
      maximum: 1,
      required: false,
      aliases: [],
      codes: null,
      pattern: null,
    });
    const catalog: CatalogCategory[] = [
      { category: "vitals", description: "", columns: [column("age", "integer"), column("sex", "category")] },
      { category: "labs", description: "", columns: [column("age", "integer"), column("hba1c", "number")] },
    ];
    expect(numericColumns(catalog).map((item) => item.name)).toEqual(["age", "hba1c"]);
  });
});
