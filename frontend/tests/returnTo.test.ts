import { describe, expect, it } from "vitest";
import { loginHref, safeReturnPath } from "@/lib/returnTo";

describe("safeReturnPath", () => {
  it("keeps paths on this site, with their query", () => {
    expect(safeReturnPath("/computations/view/?id=abc")).toBe("/computations/view/?id=abc");
    expect(safeReturnPath("/datasets/")).toBe("/datasets/");
  });

  it("refuses anything that could lead to another site", () => {
    for (const value of [
      "https://evil.example/",
      "//evil.example/",
      "/\\evil.example",
      "\\\\evil.example",
      "javascript:alert(1)",
      "/\t/evil.example",
      "/%0a/evil.example".replace("%0a", "\n"),
      "evil.example",
      "",
      null,
      undefined,
    ]) {
      expect(safeReturnPath(value)).toBeNull();
    }
  });

  it("does not return to the sign-in steps", () => {
    expect(safeReturnPath("/login/?next=/datasets/")).toBeNull();
    expect(safeReturnPath("/verify-email")).toBeNull();
  });
});

describe("loginHref", () => {
  it("carries the page to return to", () => {
    expect(loginHref("/computations/view/?id=a b")).toBe("/login/?next=%2Fcomputations%2Fview%2F%3Fid%3Da%2520b");
    expect(loginHref("/")).toBe("/login/");
    expect(loginHref("//evil.example")).toBe("/login/");
  });
});
