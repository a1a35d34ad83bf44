import { describe, expect, it } from "vitest";
import { displayUnit } from "@/lib/format";

describe("displayUnit", () => {
  it("shows UCUM codes people would not read in plain words", () => {
    expect(displayUnit("a")).toBe("years");
    expect(displayUnit("mm[Hg]")).toBe("mmHg");
    expect(displayUnit("Cel")).toBe("°C");
    expect(displayUnit("/min")).toBe("per minute");
    expect(displayUnit("d")).toBe("days");
    expect(displayUnit("kg/m2")).toBe("kg/m²");
  });

  it("keeps readable units and absent ones as they are", () => {
    expect(displayUnit("mg/dL")).toBe("mg/dL");
    expect(displayUnit("%")).toBe("%");
    expect(displayUnit(null)).toBeNull();
    expect(displayUnit("")).toBeNull();
  });
});
