import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  PASSWORD_POLICY_HINT,
  changePasswordBody,
  groupedSecret,
  messageFor,
  passwordChangeProblems,
  profileBody,
  profileProblems,
  serverFieldErrors,
  totpCodeProblems,
  totpDisableBody,
  totpDisableFieldFor400,
  totpDisableProblems,
  totpEnableBody,
} from "@/components/settings/account";
import { errorFromResponse, setAccessToken } from "@/lib/api";
import { myAccount } from "@/lib/hdx";

const EMAIL = "maria.lopez@cityhospital.org";
const GOOD = "amber harbor lantern 42";

function change(overrides: Partial<Parameters<typeof passwordChangeProblems>[0]> = {}) {
  return { current: "old passphrase here", next: GOOD, confirmation: GOOD, email: EMAIL, ...overrides };
}

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

describe("password change checks", () => {
  it("accepts a new password that meets the policy and is confirmed", () => {
    expect(passwordChangeProblems(change())).toEqual([]);
  });

  it("refuses a confirmation that differs from the new password", () => {
    expect(passwordChangeProblems(change({ confirmation: `${GOOD}x` }))).toEqual([
      { field: "confirm_password", message: "Does not match the new password" },
    ]);
  });

  it("asks for every empty field", () => {
    const problems = passwordChangeProblems(change({ current: "", next: "", confirmation: "" }));
    expect(problems.map((item) => item.field)).toEqual(["current_password", "new_password", "confirm_password"]);
  });

  it("applies the exchange's length limits, counting characters rather than UTF-16 units", () => {
    expect(messageFor(passwordChangeProblems(change({ next: "short", confirmation: "short" })), "new_password")).toBe(
      "Must be at least 12 characters long",
    );
    // Twelve emoji are 24 UTF-16 units but twelve characters for the exchange: long enough.
    const emoji = "🔒".repeat(12);
    expect(passwordChangeProblems(change({ next: emoji, confirmation: emoji }))).toEqual([]);
    const eleven = "🔒".repeat(11);
    expect(messageFor(passwordChangeProblems(change({ next: eleven, confirmation: eleven })), "new_password")).toBe(
      "Must be at least 12 characters long",
    );
    const long = "a".repeat(129);
    expect(messageFor(passwordChangeProblems(change({ next: long, confirmation: long })), "new_password")).toBe(
      "Must be at most 128 characters long",
    );
  });

  it("refuses the name part of the email address and a reuse of the current password", () => {
    const withName = "my MARIA.LOPEZ passphrase";
    expect(messageFor(passwordChangeProblems(change({ next: withName, confirmation: withName })), "new_password")).toBe(
      "Must not contain the name part of your email address",
    );
    // The exchange ignores name parts shorter than three characters.
    expect(passwordChangeProblems(change({ email: "al@x.org", next: "al the long way", confirmation: "al the long way" }))).toEqual([]);
    const same = change({ current: GOOD });
    expect(messageFor(passwordChangeProblems(same), "new_password")).toBe("Must differ from your current password");
  });

  it("sends the passwords exactly as typed", () => {
    expect(changePasswordBody(change({ current: " old with spaces ", next: " new one ok here " }))).toEqual({
      current_password: " old with spaces ",
      new_password: " new one ok here ",
    });
  });

  it("states the policy the exchange enforces", () => {
    expect(PASSWORD_POLICY_HINT).toContain("12 to 128 characters");
    expect(PASSWORD_POLICY_HINT).toContain("commonly used");
    expect(PASSWORD_POLICY_HINT).toContain("before the @");
  });
});

describe("profile", () => {
  it("trims both fields and keeps an empty phone, which removes the number", () => {
    expect(profileBody("  Maria Lopez ", "  ")).toEqual({ full_name: "Maria Lopez", phone: "" });
    expect(profileProblems(profileBody("Maria Lopez", ""))).toEqual([]);
  });

  it("requires a name and keeps the exchange's length limits", () => {
    expect(profileProblems(profileBody("   ", ""))).toEqual([{ field: "full_name", message: "Enter your full name" }]);
    expect(profileProblems(profileBody("n".repeat(201), "1".repeat(65)))).toEqual([
      { field: "full_name", message: "Must be at most 200 characters" },
      { field: "phone", message: "Must be at most 64 characters" },
    ]);
  });
});

describe("two-factor codes", () => {
  it("drops the spaces authenticator apps show inside a code", () => {
    expect(totpEnableBody(" 123 456 ")).toEqual({ code: "123456" });
    expect(totpDisableBody("secret pass", "654 321")).toEqual({ password: "secret pass", code: "654321" });
  });

  it("asks for exactly six digits", () => {
    expect(totpCodeProblems("")).toHaveLength(1);
    expect(totpCodeProblems("12345")).toEqual([{ field: "code", message: "Enter exactly 6 digits" }]);
    expect(totpCodeProblems("12a456")).toEqual([{ field: "code", message: "Enter exactly 6 digits" }]);
    expect(totpCodeProblems("123 456")).toEqual([]);
  });

  it("needs both the password and a code to turn two-factor sign-in off", () => {
    expect(totpDisableProblems("", "").map((item) => item.field)).toEqual(["password", "code"]);
    expect(totpDisableProblems("pass", "123456")).toEqual([]);
  });

  it("shows the setup key in groups of four", () => {
    expect(groupedSecret("JBSWY3DPEHPK3PXPJBSWY3DPEH")).toBe("JBSW Y3DP EHPK 3PXP JBSW Y3DP EH");
  });
});

describe("the exchange's answers beside the fields", () => {
  it("places a 422 under the fields it names", async () => {
    const error = await errorFromResponse(
      answer(422, {
        error: "validation_error",
        detail: [{ field: "new_password", message: "Password is too common: it appears in a list of frequently used passwords" }],
      }),
    );
    expect(serverFieldErrors(error)).toEqual([
      { field: "new_password", message: "Password is too common: it appears in a list of frequently used passwords" },
    ]);
  });

  it("places a 400 about the password or the code of a two-factor change under that field", async () => {
    const wrongPassword = await errorFromResponse(answer(400, { error: "bad_request", detail: "The password is not correct" }));
    expect(serverFieldErrors(wrongPassword, totpDisableFieldFor400)).toEqual([
      { field: "password", message: "The password is not correct" },
    ]);
    const wrongCode = await errorFromResponse(
      answer(400, { error: "bad_request", detail: "The two-factor code is not correct" }),
    );
    expect(serverFieldErrors(wrongCode, totpDisableFieldFor400)).toEqual([
      { field: "code", message: "The two-factor code is not correct" },
    ]);
  });

  it("leaves other failures to the form's general message", async () => {
    const conflict = await errorFromResponse(
      answer(409, { error: "conflict", detail: "Two-factor authentication is already on" }),
    );
    expect(serverFieldErrors(conflict, () => "code")).toEqual([]);
    expect(serverFieldErrors(null)).toEqual([]);
  });
});

describe("account requests", () => {
  let sent: { url: string; method: string; body: unknown }[] = [];

  beforeEach(() => {
    sent = [];
    setAccessToken("access");
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init: RequestInit = {}) => {
        sent.push({ url, method: init.method ?? "GET", body: init.body === undefined ? undefined : JSON.parse(String(init.body)) });
        return answer(200, { message: "ok" });
      }),
    );
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    setAccessToken(null);
  });

  it("calls the exchange's profile, password and two-factor endpoints", async () => {
    await myAccount.updateProfile(profileBody(" Maria ", ""));
    await myAccount.changePassword(changePasswordBody(change()));
    await myAccount.totpSetup();
    await myAccount.totpEnable(totpEnableBody("123 456"));
    await myAccount.totpDisable(totpDisableBody("pw", "654321"));
    expect(sent.map(({ url, method, body }) => [new URL(url, "http://x").pathname, method, body])).toEqual([
      ["/update-profile", "PUT", { full_name: "Maria", phone: "" }],
      ["/change-password", "POST", { current_password: "old passphrase here", new_password: GOOD }],
      ["/auth/totp/setup", "POST", undefined],
      ["/auth/totp/enable", "POST", { code: "123456" }],
      ["/auth/totp/disable", "POST", { password: "pw", code: "654321" }],
    ]);
  });
});
