import { describe, expect, it } from "vitest";
import { plainValidationMessage } from "@/lib/validation";

const say = (message: string, field = "name") => plainValidationMessage({ field, message });

describe("plainValidationMessage", () => {
  it("asks for the e-mailed or authenticator code instead of showing a pattern", () => {
    expect(say("String should match pattern '^\\d{6}$'", "code")).toBe("Enter the 6-digit code from the e-mail");
    expect(say("String should match pattern '^\\d{6}$'", "totp_code")).toBe(
      "Enter the 6-digit code from your authenticator app",
    );
    expect(say("String should match pattern '^[a-z]+$'")).toBe("This is not in the expected format");
  });

  it("states length and number limits plainly", () => {
    expect(say("String should have at least 3 characters")).toBe("Must be at least 3 characters");
    expect(say("String should have at most 1 character")).toBe("Must be at most 1 character");
    expect(say("Input should be greater than 0")).toBe("Must be more than 0");
    expect(say("Input should be greater than or equal to 2")).toBe("Must be at least 2");
    expect(say("Input should be less than or equal to 1000")).toBe("Must be at most 1000");
    expect(say("Input should be less than 1")).toBe("Must be less than 1");
    expect(say("List should have at least 2 items after validation, not 1")).toBe("Choose at least 2");
  });

  it("words type and presence errors for people", () => {
    expect(say("Field required")).toBe("This is required");
    expect(say("Input should be a valid integer, unable to parse string as an integer")).toBe("Enter a whole number");
    expect(say("Input should be a valid number, unable to parse string as a number")).toBe("Enter a number");
    expect(say("Input should be 'hospital', 'clinic' or 'pharmacy'")).toBe("Choose one of: hospital, clinic, pharmacy");
    expect(say("value is not a valid email address: An email address must have an @-sign.")).toBe(
      "Enter a valid e-mail address",
    );
    expect(say("Value error, the privacy policy must be accepted to register")).toBe(
      "the privacy policy must be accepted to register",
    );
  });

  it("uses the limits of structured entries when the exchange sends them", () => {
    expect(plainValidationMessage({ field: "k", message: "x", type: "greater_than", ctx: { gt: 0 } })).toBe("Must be more than 0");
    expect(
      plainValidationMessage({ field: "name", message: "x", type: "string_too_short", ctx: { min_length: 3 } }),
    ).toBe("Must be at least 3 characters");
  });

  it("keeps messages the exchange wrote in plain words", () => {
    expect(say("use at least 12 characters")).toBe("use at least 12 characters");
    expect(say("The bounds must satisfy lo < hi")).toBe("The bounds must satisfy lo < hi");
  });
});
