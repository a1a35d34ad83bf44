/**
 * Request bodies and checks of the Account settings: profile, password change and two-factor sign-in.
 * The limits mirror the exchange (hdx/auth/schemas.py and hdx/auth/passwords.py); the exchange checks
 * them again and also refuses common passwords, which only it can know.
 */

import type { ApiError, FieldError } from "@/lib/api";

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;
export const FULL_NAME_MAX_LENGTH = 200;
export const PHONE_MAX_LENGTH = 64;

export const PASSWORD_POLICY_HINT =
  `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters, not a commonly used password, ` +
  "not containing the part of your email address before the @, and different from your current password.";

/** Length as the exchange counts it: characters (code points), not UTF-16 units. */
function length(text: string): number {
  return [...text].length;
}

export interface ProfileBody {
  full_name: string;
  phone: string;
}

/** PUT /update-profile: both fields, trimmed; an empty phone removes the number. */
export function profileBody(fullName: string, phone: string): ProfileBody {
  return { full_name: fullName.trim(), phone: phone.trim() };
}

export function profileProblems(body: ProfileBody): FieldError[] {
  const problems: FieldError[] = [];
  if (body.full_name === "") problems.push({ field: "full_name", message: "Enter your full name" });
  if (length(body.full_name) > FULL_NAME_MAX_LENGTH) {
    problems.push({ field: "full_name", message: `Must be at most ${FULL_NAME_MAX_LENGTH} characters` });
  }
  if (length(body.phone) > PHONE_MAX_LENGTH) {
    problems.push({ field: "phone", message: `Must be at most ${PHONE_MAX_LENGTH} characters` });
  }
  return problems;
}

export interface PasswordChange {
  current: string;
  next: string;
  confirmation: string;
  /** The account's email address: the exchange refuses passwords that contain its name part. */
  email: string;
}

export interface ChangePasswordBody {
  current_password: string;
  new_password: string;
}

/** POST /change-password. Passwords are sent exactly as typed: spaces are part of them. */
export function changePasswordBody(change: PasswordChange): ChangePasswordBody {
  return { current_password: change.current, new_password: change.next };
}

/** Every problem the form can see before asking the exchange, each under its field. */
export function passwordChangeProblems(change: PasswordChange): FieldError[] {
  const problems: FieldError[] = [];
  if (change.current === "") problems.push({ field: "current_password", message: "Enter your current password" });
  if (change.next === "") {
    problems.push({ field: "new_password", message: "Enter a new password" });
  } else {
    if (length(change.next) < PASSWORD_MIN_LENGTH) {
      problems.push({ field: "new_password", message: `Must be at least ${PASSWORD_MIN_LENGTH} characters long` });
    }
    if (length(change.next) > PASSWORD_MAX_LENGTH) {
      problems.push({ field: "new_password", message: `Must be at most ${PASSWORD_MAX_LENGTH} characters long` });
    }
    const namePart = (change.email.split("@", 1)[0] ?? "").trim().toLowerCase();
    if (length(namePart) >= 3 && change.next.toLowerCase().includes(namePart)) {
      problems.push({ field: "new_password", message: "Must not contain the name part of your email address" });
    }
    if (change.current !== "" && change.next === change.current) {
      problems.push({ field: "new_password", message: "Must differ from your current password" });
    }
  }
  if (change.confirmation === "") {
    problems.push({ field: "confirm_password", message: "Enter the new password again" });
  } else if (change.confirmation !== change.next) {
    problems.push({ field: "confirm_password", message: "Does not match the new password" });
  }
  return problems;
}

/** Authenticator apps often show a code as "123 456": spaces are dropped. */
export function normalizeTotpCode(code: string): string {
  return code.replace(/\s+/g, "");
}

export function totpCodeProblems(code: string, field = "code"): FieldError[] {
  const normalized = normalizeTotpCode(code);
  if (normalized === "") return [{ field, message: "Enter the 6-digit code your authenticator app shows now" }];
  if (!/^\d{6}$/.test(normalized)) return [{ field, message: "Enter exactly 6 digits" }];
  return [];
}

/** POST /auth/totp/enable. */
export function totpEnableBody(code: string): { code: string } {
  return { code: normalizeTotpCode(code) };
}

/** POST /auth/totp/disable: the password and a current code, both required. */
export function totpDisableBody(password: string, code: string): { password: string; code: string } {
  return { password, code: normalizeTotpCode(code) };
}

export function totpDisableProblems(password: string, code: string): FieldError[] {
  const problems: FieldError[] = [];
  if (password === "") problems.push({ field: "password", message: "Enter your password" });
  return [...problems, ...totpCodeProblems(code)];
}

/**
 * The exchange's answer as messages under form fields. A 422 names its fields. A 400 names none: these
 * endpoints answer 400 only about a wrong password or code, and `fieldFor400` says, from the message,
 * which field it concerns (null keeps it for the form's general alert).
 */
export function serverFieldErrors(
  error: ApiError | null,
  fieldFor400: (message: string) => string | null = () => null,
): FieldError[] {
  if (!error) return [];
  if (error.fieldErrors.length > 0) return error.fieldErrors;
  if (error.status === 400) {
    const field = fieldFor400(error.message);
    if (field) return [{ field, message: error.message }];
  }
  return [];
}

/** Which field a 400 of POST /auth/totp/disable is about: the password or the code. */
export function totpDisableFieldFor400(message: string): string {
  return /password/i.test(message) ? "password" : "code";
}

/** Joins the messages for `field`; undefined when there is none. */
export function messageFor(problems: FieldError[], field: string): string | undefined {
  const messages = problems.filter((item) => item.field === field).map((item) => item.message);
  return messages.length > 0 ? messages.join("; ") : undefined;
}

/** A base32 secret in groups of four, easier to type into an authenticator app (spaces are ignored there). */
export function groupedSecret(secret: string): string {
  return secret.replace(/\s+/g, "").match(/.{1,4}/g)?.join(" ") ?? "";
}
