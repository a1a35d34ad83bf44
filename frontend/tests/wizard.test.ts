import { describe, expect, it } from "vitest";
import type { CatalogCategory } from "@/lib/types";
import {
  INITIAL_VALUES,
  PRIVACY_CHOICES,
  categoricalColumns,
  categoriesOf,
  centralNoiser,
  distributedNoiseFactor,
  flagColumns,
  numericColumns,
  parseCategories,
  placeServerErrors,
  toSpec,
  validateWizard,
  variableColumns,
  withAnalysis,
  withColumn,
  withVariable,
  type WizardValues,
} from "@/lib/wizard";

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

  it("checks histogram bins", () => {
    expect(validateWizard({ ...valid, analysis: "histogram", bins: "0" }).bins).toBeDefined();
    expect(validateWizard({ ...valid, analysis: "histogram", bins: "12" }).bins).toBeUndefined();
  });
});

describe("differential privacy in the wizard", () => {
  const central: WizardValues = { ...valid, privacy: "central", epsilon: "1" };
  const distributed: WizardValues = { ...valid, privacy: "distributed", epsilon: "1", delta: "1e-6" };

  it("ignores epsilon and delta without differential privacy", () => {
    expect(validateWizard({ ...valid, privacy: "none", epsilon: "-3", delta: "7" })).toEqual({});
  });

  it("needs an epsilon between 0.001 and 10 with either kind of noise", () => {
    for (const values of [central, distributed]) {
      expect(validateWizard(values)).toEqual({});
      expect(validateWizard({ ...values, epsilon: "" }).epsilon).toMatch(/between 0.001 and 10/);
      expect(validateWizard({ ...values, epsilon: "0.0005" }).epsilon).toBeDefined();
      expect(validateWizard({ ...values, epsilon: "0.001" }).epsilon).toBeUndefined();
      expect(validateWizard({ ...values, epsilon: "0" }).epsilon).toBeDefined();
      expect(validateWizard({ ...values, epsilon: "-1" }).epsilon).toBeDefined();
      expect(validateWizard({ ...values, epsilon: "10.5" }).epsilon).toBeDefined();
      expect(validateWizard({ ...values, epsilon: "ten" }).epsilon).toBeDefined();
      expect(validateWizard({ ...values, epsilon: "10" }).epsilon).toBeUndefined();
      expect(validateWizard({ ...values, epsilon: "0.01" }).epsilon).toBeUndefined();
    }
  });

  it("needs delta for distributed noise, between 1e-12 and 0.001", () => {
    expect(validateWizard({ ...distributed, delta: "" }).delta).toMatch(/needs delta/);
    expect(validateWizard({ ...distributed, delta: "0" }).delta).toMatch(/between 1e-12 and 0.001/);
    expect(validateWizard({ ...distributed, delta: "1" }).delta).toBeDefined();
    expect(validateWizard({ ...distributed, delta: "-1e-6" }).delta).toBeDefined();
    expect(validateWizard({ ...distributed, delta: "0.5" }).delta).toBeDefined();
    expect(validateWizard({ ...distributed, delta: "1e-13" }).delta).toBeDefined();
    expect(validateWizard({ ...distributed, delta: "0.000001" }).delta).toBeUndefined();
    expect(validateWizard({ ...distributed, delta: "0.001" }).delta).toBeUndefined();
  });

  it("takes central noise without delta (Laplace), or with a valid one (Gaussian)", () => {
    expect(validateWizard({ ...central, delta: "" }).delta).toBeUndefined();
    expect(validateWizard({ ...central, delta: "1e-5" }).delta).toBeUndefined();
    expect(validateWizard({ ...central, delta: "2" }).delta).toBeDefined();
  });

  it("refuses any noise for logistic regression and says why", () => {
    const logistic: WizardValues = { ...valid, analysis: "logistic", variable: "event", covariates: [{ name: "age", lo: "0", hi: "120" }] };
    expect(validateWizard(logistic)).toEqual({});
    for (const privacy of ["central", "distributed"] as const) {
      const errors = validateWizard({ ...logistic, privacy, epsilon: "1", delta: "1e-6" });
      expect(errors.privacy).toMatch(/not available for logistic regression: it runs one secure sum per Newton iteration/);
      expect(errors.epsilon).toBeUndefined();
    }
  });

  it("sends the mode with epsilon, and delta only when given", () => {
    expect(toSpec(valid, "a")).not.toHaveProperty("epsilon");
    expect(toSpec(valid, "a")).not.toHaveProperty("dp_mode");
    expect(toSpec({ ...valid, privacy: "none", epsilon: "1", delta: "1e-6" }, "a")).not.toHaveProperty("delta");
    const sentCentral = toSpec({ ...central, epsilon: "1.5" }, "a");
    expect(sentCentral).toMatchObject({ epsilon: 1.5, dp_mode: "central" });
    expect(sentCentral).not.toHaveProperty("delta");
    expect(toSpec({ ...central, delta: "1e-5" }, "a")).toMatchObject({ epsilon: 1, delta: 1e-5, dp_mode: "central" });
    expect(toSpec(distributed, "a")).toMatchObject({ epsilon: 1, delta: 1e-6, dp_mode: "distributed" });
  });

  it("explains who sees the exact total and what distributed noise costs", () => {
    expect(centralNoiser("shamir")).toBe("the exchange");
    expect(centralNoiser("secagg")).toBe("the exchange");
    expect(centralNoiser("paillier")).toMatch(/distributed noise only/);
    expect(centralNoiser("hybrid")).toMatch(/distributed noise only/);
    // The exchange refuses central noise where the requester's own party decrypts the exact total.
    expect(validateWizard({ ...central, protocol: "paillier" }).privacy).toMatch(/paillier takes distributed noise only/);
    expect(validateWizard({ ...central, protocol: "hybrid" }).privacy).toMatch(/hybrid takes distributed noise only/);
    expect(validateWizard({ ...distributed, protocol: "paillier" }).privacy).toBeUndefined();
    expect(distributedNoiseFactor(2, 2)).toBe(1);
    expect(distributedNoiseFactor(8, 2)).toBe(2);
    const help = (value: string) => PRIVACY_CHOICES.find((choice) => choice.value === value)?.help;
    expect(help("central")?.("shamir", 2, 3)).toMatch(/sees the exact total before adding the noise/);
    expect(help("central")?.("paillier", 2, 3)).toMatch(/Not available with this protocol/);
    const spread = help("distributed")?.("secagg", 2, 8) ?? "";
    expect(spread).toMatch(/nobody, neither the exchange nor your organization, ever sees the exact total/);
    expect(spread).toMatch(/any 2 organizations \(the threshold\)/);
    expect(spread).toMatch(/dropping out never weaken it/);
    expect(spread).toMatch(/with all 8 contributing, the noise is about 2\.00 times/);
    // While the threshold is being typed the cost is told without numbers.
    expect(help("distributed")?.("secagg", Number.NaN, 3)).not.toMatch(/NaN/);
  });
});

describe("regressions in the wizard", () => {
  const ols: WizardValues = {
    ...valid,
    analysis: "ols",
    variable: "glucose",
    lo: "40",
    hi: "400",
    covariates: [
      { name: "age", lo: "0", hi: "120" },
      { name: "bmi", lo: "10", hi: "60" },
    ],
  };
  const logistic: WizardValues = { ...ols, analysis: "logistic", variable: "event", lo: "", hi: "", maxIterations: "25" };

  it("accepts complete regressions", () => {
    expect(validateWizard(ols)).toEqual({});
    expect(validateWizard(logistic)).toEqual({});
  });

  it("needs at least one covariate with numeric bounds, lower below upper, and not the outcome", () => {
    expect(validateWizard({ ...ols, covariates: [] }).covariates).toMatch(/at least one covariate/);
    expect(validateWizard({ ...ols, covariates: [{ name: "age", lo: "", hi: "120" }] }).covariates).toMatch(/both bounds of age/);
    expect(validateWizard({ ...ols, covariates: [{ name: "age", lo: "50", hi: "50" }] }).covariates).toMatch(/upper bound of age must be greater/);
    expect(validateWizard({ ...ols, covariates: [{ name: "glucose", lo: "40", hi: "400" }] }).covariates).toMatch(/outcome cannot also be a covariate/);
    expect(validateWizard({ ...ols, variable: "" }).variable).toBe("Choose an outcome.");
  });

  it("bounds a linear regression's outcome, not a logistic regression's 0/1 outcome", () => {
    expect(validateWizard({ ...ols, lo: "400", hi: "40" }).hi).toBeDefined();
    expect(validateWizard({ ...logistic, lo: "x", hi: "" })).toEqual({});
  });

  it("keeps logistic regression's maximum iterations from 1 to 200", () => {
    expect(validateWizard({ ...logistic, maxIterations: "0" }).maxIterations).toMatch(/from 1 to 200/);
    expect(validateWizard({ ...logistic, maxIterations: "201" }).maxIterations).toBeDefined();
    expect(validateWizard({ ...logistic, maxIterations: "2.5" }).maxIterations).toBeDefined();
    expect(validateWizard({ ...logistic, maxIterations: "200" }).maxIterations).toBeUndefined();
    expect(validateWizard({ ...ols, maxIterations: "0" }).maxIterations).toBeUndefined();
  });

  it("shapes each regression's parameters as the exchange reads them", () => {
    expect(toSpec(ols, "a").params).toEqual({
      outcome: { name: "glucose", lo: 40, hi: 400 },
      covariates: [
        { name: "age", lo: 0, hi: 120 },
        { name: "bmi", lo: 10, hi: 60 },
      ],
    });
    expect(toSpec(logistic, "a").params).toEqual({
      outcome: "event",
      covariates: [
        { name: "age", lo: 0, hi: 120 },
        { name: "bmi", lo: 10, hi: 60 },
      ],
      max_iterations: 25,
    });
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
    expect(toSpec({ ...valid, minParticipants: "2" }, "a")).toMatchObject({ min_participants: 2 });
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

  it("places regression, iteration and privacy fields", () => {
    const { errors } = placeServerErrors([
      { field: "params.outcome", message: "no such column" },
      { field: "params.covariates.1.lo", message: "not a number" },
      { field: "params.max_iterations", message: "at most 200" },
      { field: "delta", message: "too large" },
      { field: "dp_mode", message: "noise would not fit the modulus" },
    ]);
    expect(errors).toEqual({
      variable: "no such column",
      covariates: "not a number",
      maxIterations: "at most 200",
      delta: "too large",
      privacy: "noise would not fit the modulus",
    });
  });
});

describe("catalog columns", () => {
  const column = (name: string, kind: string, minimum: number | null = 0, maximum: number | null = 1) => ({
    name,
    label: name,
    kind,
    unit: null,
    loinc: null,
    minimum,
    maximum,
    required: false,
    aliases: [],
    codes: null,
    pattern: null,
  });
  const catalog: CatalogCategory[] = [
    { category: "vitals", description: "", columns: [column("age", "integer", 0, 120), column("sex", "category")] },
    { category: "labs", description: "", columns: [column("age", "integer"), column("hba1c", "number", null, null), column("event", "flag", null, null)] },
  ];

  it("lists numeric columns once, across categories", () => {
    expect(numericColumns(catalog).map((item) => item.name)).toEqual(["age", "hba1c"]);
  });

  it("offers 0/1 columns as logistic outcomes and numeric ones to every other analysis", () => {
    expect(flagColumns(catalog).map((item) => item.name)).toEqual(["event"]);
    expect(variableColumns("logistic", catalog).map((item) => item.name)).toEqual(["event"]);
    expect(variableColumns("ols", catalog).map((item) => item.name)).toEqual(["age", "hba1c"]);
  });

  it("bounds a chosen variable by the catalog's plausible range, when it has one", () => {
    expect(withVariable(valid, "age", catalog[0]?.columns[0])).toMatchObject({ variable: "age", lo: "0", hi: "120" });
    expect(withVariable(valid, "hba1c", catalog[1]?.columns[1])).toMatchObject({ variable: "hba1c", lo: "", hi: "" });
  });

  it("clears a variable the new analysis cannot use, and differential privacy for logistic regression", () => {
    const noisy: WizardValues = { ...valid, variable: "age", privacy: "distributed", epsilon: "1", delta: "1e-6" };
    expect(withAnalysis(noisy, "ols", catalog)).toMatchObject({ analysis: "ols", variable: "age", privacy: "distributed" });
    expect(withAnalysis(noisy, "logistic", catalog)).toMatchObject({ analysis: "logistic", variable: "", lo: "", hi: "", privacy: "none" });
    expect(withAnalysis({ ...noisy, variable: "event" }, "logistic", catalog)).toMatchObject({ variable: "event" });
  });
});

describe("sum, cross-tabulation, covariance and survival in the wizard", () => {
  const sum: WizardValues = { ...valid, analysis: "sum" };
  const crosstab: WizardValues = {
    ...valid,
    analysis: "crosstab",
    variable: "sex",
    lo: "",
    hi: "",
    rowCategories: "M, F, U",
    column: "diabetes",
    columnCategories: "0, 1",
  };
  const covariance: WizardValues = {
    ...valid,
    analysis: "covariance",
    variable: "",
    lo: "",
    hi: "",
    variables: [
      { name: "age", lo: "0", hi: "120" },
      { name: "bmi", lo: "10", hi: "60" },
    ],
  };
  const survival: WizardValues = { ...valid, analysis: "kaplan_meier", variable: "days", lo: "0", hi: "3650", bins: "40", event: "died" };

  it("accepts complete forms", () => {
    for (const values of [sum, crosstab, covariance, survival]) expect(validateWizard(values)).toEqual({});
  });

  it("bounds a sum's variable and a survival curve's time", () => {
    expect(validateWizard({ ...sum, lo: "9", hi: "1" }).hi).toMatch(/greater than the lower bound/);
    expect(validateWizard({ ...survival, lo: "", hi: "10" }).lo).toBeDefined();
    expect(validateWizard({ ...sum, variable: "" }).variable).toBe("Choose a variable.");
  });

  it("reads categories as whole numbers or text, at least one, at most 1000, none repeated", () => {
    expect(parseCategories(" 0, 1 ,")).toEqual({ categories: [0, 1] });
    expect(parseCategories("M, F, 3")).toEqual({ categories: ["M", "F", "3"] });
    expect(parseCategories(" , ")).toEqual({ problem: expect.stringMatching(/at least one category/) as string });
    expect(parseCategories("M, F, M")).toEqual({ problem: "The category M is listed twice." });
    const many = Array.from({ length: 1001 }, (_, i) => String(i)).join(",");
    expect(parseCategories(many)).toEqual({ problem: "Enter at most 1000 categories." });
    expect(parseCategories(many.split(",").slice(0, 1000).join(","))).toHaveProperty("categories");
  });

  it("needs a cross-tabulation's two different columns, each with categories", () => {
    expect(validateWizard({ ...crosstab, variable: "" }).variable).toBe("Choose a row variable.");
    expect(validateWizard({ ...crosstab, column: "" }).column).toBe("Choose a column variable.");
    expect(validateWizard({ ...crosstab, column: "sex" }).column).toMatch(/must differ from the row variable/);
    expect(validateWizard({ ...crosstab, rowCategories: "" }).rowCategories).toMatch(/at least one category/);
    expect(validateWizard({ ...crosstab, columnCategories: "0, 0" }).columnCategories).toMatch(/listed twice/);
    expect(validateWizard({ ...crosstab, lo: "x" })).toEqual({});
  });

  it("needs from 2 to 50 bounded covariance variables", () => {
    expect(validateWizard({ ...covariance, variables: covariance.variables.slice(0, 1) }).variables).toMatch(/at least 2 variables/);
    const fiftyOne = Array.from({ length: 51 }, (_, i) => ({ name: `v${i}`, lo: "0", hi: "1" }));
    expect(validateWizard({ ...covariance, variables: fiftyOne }).variables).toMatch(/at most 50 variables/);
    expect(validateWizard({ ...covariance, variables: [...covariance.variables, { name: "hba1c", lo: "9", hi: "4" }] }).variables).toMatch(
      /upper bound of hba1c must be greater/,
    );
    expect(validateWizard(covariance).variable).toBeUndefined();
  });

  it("needs a survival curve's event column, other than the time, its bins and a confidence level in (0, 1)", () => {
    expect(validateWizard({ ...survival, variable: "" }).variable).toBe("Choose a time variable.");
    expect(validateWizard({ ...survival, event: "" }).event).toBe("Choose an event column.");
    expect(validateWizard({ ...survival, event: "days" }).event).toMatch(/must differ from the time variable/);
    expect(validateWizard({ ...survival, bins: "0" }).bins).toBeDefined();
    expect(validateWizard({ ...survival, bins: "10001" }).bins).toBeDefined();
    expect(validateWizard({ ...survival, confidence: "1" }).confidence).toBeDefined();
    expect(validateWizard({ ...survival, confidence: "0" }).confidence).toBeDefined();
    expect(validateWizard({ ...survival, confidence: "0.9" }).confidence).toBeUndefined();
  });

  it("shapes each analysis' parameters as the exchange reads them", () => {
    expect(toSpec(sum, "a").params).toEqual({ variable: { name: "systolic_bp", lo: 50, hi: 250 } });
    expect(toSpec(crosstab, "a").params).toEqual({
      row: { name: "sex", categories: ["M", "F", "U"] },
      column: { name: "diabetes", categories: [0, 1] },
    });
    expect(toSpec(covariance, "a").params).toEqual({
      variables: [
        { name: "age", lo: 0, hi: 120 },
        { name: "bmi", lo: 10, hi: 60 },
      ],
    });
    expect(toSpec(survival, "a").params).toEqual({ time: { name: "days", lo: 0, hi: 3650 }, event: "died", bins: 40, confidence: 0.95 });
    expect(toSpec(survival, "a").analysis).toBe("kaplan_meier");
  });

  it("places the exchange's field errors beside their inputs", () => {
    const { errors, placed } = placeServerErrors([
      { field: "params.row.categories.2.int", message: "not an integer" },
      { field: "params.row.name", message: "no such column" },
      { field: "params.column", message: "required" },
      { field: "params.column.categories", message: "must not repeat" },
      { field: "params.variables.0.lo", message: "not a number" },
      { field: "params.time", message: "bounds need lo < hi" },
      { field: "params.time.name", message: "no such column" },
      { field: "params.event", message: "too long" },
      { field: "params.confidence", message: "less than 1" },
    ]);
    expect(errors).toEqual({
      rowCategories: "not an integer",
      variable: "no such column no such column",
      column: "required",
      columnCategories: "must not repeat",
      variables: "not a number",
      hi: "bounds need lo < hi",
      event: "too long",
      confidence: "less than 1",
    });
    expect(placed).toHaveLength(9);
  });

  it("offers categorical columns to a cross-tabulation, with the catalog's categories", () => {
    const column = (name: string, kind: string, codes: string[] | null = null) => ({
      name,
      label: name,
      kind,
      unit: null,
      loinc: null,
      minimum: kind === "integer" ? 0 : null,
      maximum: kind === "integer" ? 120 : null,
      required: false,
      aliases: [],
      codes,
      pattern: null,
    });
    const sex = column("sex", "category", ["F", "M", "U"]);
    const diabetes = column("diabetes", "flag");
    const catalog: CatalogCategory[] = [{ category: "vitals", description: "", columns: [column("age", "integer"), sex, diabetes] }];
    expect(categoricalColumns(catalog).map((item) => item.name)).toEqual(["sex", "diabetes"]);
    expect(variableColumns("crosstab", catalog).map((item) => item.name)).toEqual(["sex", "diabetes"]);
    expect(variableColumns("covariance", catalog)).toEqual([]);
    expect(variableColumns("kaplan_meier", catalog).map((item) => item.name)).toEqual(["age"]);
    expect(categoriesOf(sex)).toBe("F, M, U");
    expect(categoriesOf(diabetes)).toBe("0, 1");
    const table = withAnalysis({ ...valid, variable: "age" }, "crosstab", catalog);
    expect(table).toMatchObject({ variable: "", rowCategories: "" });
    expect(withVariable(table, "sex", sex)).toMatchObject({ variable: "sex", rowCategories: "F, M, U" });
    expect(withColumn(table, "diabetes", diabetes)).toMatchObject({ column: "diabetes", columnCategories: "0, 1" });
    expect(withAnalysis({ ...valid, analysis: "logistic", variable: "diabetes" }, "crosstab", catalog)).toMatchObject({ rowCategories: "0, 1" });
  });
});
