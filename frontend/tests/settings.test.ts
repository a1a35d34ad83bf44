import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { setAccessToken } from "@/lib/api";
import { organization } from "@/lib/hdx";

let sent: { url: string; method: string; body: unknown }[] = [];

beforeEach(() => {
  sent = [];
  setAccessToken("access");
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init: RequestInit = {}) => {
      sent.push({ url, method: init.method ?? "GET", body: JSON.parse(String(init.body)) });
      return new Response(JSON.stringify({ require_differential_privacy: true }), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  setAccessToken(null);
});

describe("organization settings", () => {
  it("sends whether differential privacy is required with the disclosure settings", async () => {
    const updated = await organization.updateSettings(7, false, true);
    expect(updated.require_differential_privacy).toBe(true);
    expect(sent).toEqual([
      {
        url: expect.stringMatching(/\/organizations\/me\/settings$/),
        method: "PUT",
        body: { min_cohort_k: 7, requires_output_review: false, require_differential_privacy: true },
      },
    ]);
  });
});
