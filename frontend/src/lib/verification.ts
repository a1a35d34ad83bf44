/**
 * What the e-mail verification page adds to a refused code when a new code was requested since the
 * page opened: sending a new code replaces the earlier one, so the older e-mail's code no longer works.
 */
export function replacedCodeHint(errorCode: string | undefined, newCodeSent: boolean): string | null {
  if (!newCodeSent) return null;
  if (errorCode !== "invalid_code" && errorCode !== "code_expired") return null;
  return "Sending a new code replaced the earlier one: enter the code from the most recent e-mail.";
}
