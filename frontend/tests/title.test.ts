import { describe, expect, it } from "vitest";
import { pageTitle, titleForPath } from "@/lib/title";

describe("titleForPath", () => {
  it("names each page, with or without the trailing slash", () => {
    expect(titleForPath("/datasets/")).toBe("Datasets · HDX");
    expect(titleForPath("/computations/new")).toBe("New computation · HDX");
    expect(titleForPath("/")).toBe("Overview · HDX");
    expect(titleForPath("/login/")).toBe("Sign in · HDX");
  });

  it("leaves unknown paths to the page itself", () => {
    expect(titleForPath("/nowhere/")).toBeNull();
    expect(pageTitle("Page not found")).toBe("Page not found · HDX");
  });

  it("gives every page a different title", () => {
    const paths = ["/", "/upload/", "/datasets/", "/datasets/view/", "/computations/", "/computations/new/", "/computations/view/", "/approvals/", "/audit/", "/settings/", "/login/", "/register/", "/forgot-password/", "/verify-email/"];
    const titles = paths.map(titleForPath);
    expect(titles.every((title) => title !== null)).toBe(true);
    expect(new Set(titles).size).toBe(paths.length);
  });
});
