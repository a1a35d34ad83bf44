import { describe, expect, it } from "vitest";
import { replacedCodeHint } from "@/lib/verification";

describe("replacedCodeHint", () => {
  it("explains that the earlier code was replaced once a new one was sent", () => {
    expect(replacedCodeHint("invalid_code", true)).toBe(
      "Sending a new code replaced the earlier one: enter the code from the most recent e-mail.",
    );
    expect(replacedCodeHint("code_expired", true)).not.toBeNull();
  });

  it("says nothing when no new code was sent or the refusal is about something else", () => {
    expect(replacedCodeHint("invalid_code", false)).toBeNull();
    expect(replacedCodeHint("validation_error", true)).toBeNull();
    expect(replacedCodeHint(undefined, true)).toBeNull();
  });
});
