/**
 * Where to go back to after signing in. Only a path on this site is accepted ("/datasets/view/?id=…"),
 * never another origin, so the sign-in page cannot be used to send people elsewhere.
 */

const ORIGIN = "https://hdx.invalid";
/** Pages that make no sense to return to: the sign-in steps themselves. */
const NOT_RETURNED_TO = ["/login/", "/register/", "/forgot-password/", "/verify-email/"];

export function safeReturnPath(value: string | null | undefined): string | null {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return null;
  // Browsers drop tabs and newlines in URLs and read "\" as "/": refuse any such character outright.
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return null;
  let parsed: URL;
  try {
    parsed = new URL(value, ORIGIN);
  } catch {
    return null;
  }
  if (parsed.origin !== ORIGIN) return null;
  const path = parsed.pathname.endsWith("/") ? parsed.pathname : `${parsed.pathname}/`;
  if (NOT_RETURNED_TO.includes(path)) return null;
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
}

/** The sign-in page, remembering the page to return to (when there is one worth returning to). */
export function loginHref(returnTo: string | null): string {
  const path = safeReturnPath(returnTo);
  return path && path !== "/" ? `/login/?next=${encodeURIComponent(path)}` : "/login/";
}
