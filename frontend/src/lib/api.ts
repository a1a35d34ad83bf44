/**
 * The one place the dashboard talks to the exchange.
 *
 * The access token lives only in this module's memory. The refresh token is an HttpOnly cookie the
 * exchange sets at sign-in and reads at POST /refresh-token; scripts never see it.
 */

import { plainValidationMessage } from "./validation";

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fieldErrors: FieldError[];
  readonly retryAfter: number | null;
  /** The server's `detail` as sent, for answers that carry data (an upload's validation report). */
  readonly detail: unknown;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { fieldErrors?: FieldError[]; retryAfter?: number | null; detail?: unknown } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fieldErrors = options.fieldErrors ?? [];
    this.retryAfter = options.retryAfter ?? null;
    this.detail = options.detail ?? null;
  }
}

export interface TokenResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
  refresh_expires_in: number;
}

type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A plain object is sent as JSON; FormData as multipart. */
  body?: unknown;
  query?: Query;
  /** false for calls made before signing in (login, register, codes): no token, no refresh on 401. */
  auth?: boolean;
  signal?: AbortSignal;
}

const API_BASE = process.env.NEXT_PUBLIC_HDX_API_BASE ?? "";

let accessToken: string | null = null;
let refreshing: Promise<boolean> | null = null;
const signedOutListeners = new Set<() => void>();

export function setAccessToken(token: string | null): void {
  accessToken = token;
}

export function hasAccessToken(): boolean {
  return accessToken !== null;
}

/** The current access token, for the live connection's handshake (it travels in a header, never a URL). */
export function currentAccessToken(): string | null {
  return accessToken;
}

/** Called when the session ends without the user asking (refresh refused). Returns an unsubscribe function. */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const search = params.toString();
  return `${API_BASE}${path}${search ? `?${search}` : ""}`;
}

function retryAfterSeconds(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function isFieldErrorList(value: unknown): value is FieldError[] {
  return (
    Array.isArray(value) &&
    value.every((item) => typeof item === "object" && item !== null && "message" in item && "field" in item)
  );
}

function fieldLabel(field: string): string {
  return field.replaceAll("_", " ");
}

/** Turns any failed response into an ApiError carrying the exchange's own explanation. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let payload: unknown = null;
  try {
    payload = await response.json();
  } catch {
    // Not JSON: a proxy or the network stood between us and the exchange.
  }
  const retryAfter = response.status === 429 ? retryAfterSeconds(response.headers.get("Retry-After")) : null;
  let code = `http_${response.status}`;
  let message = `The exchange answered with an unexpected error (HTTP ${response.status}). Please try again.`;
  let fieldErrors: FieldError[] = [];
  let detail: unknown = null;
  if (payload && typeof payload === "object" && "error" in payload) {
    const body = payload as { error: unknown; detail: unknown };
    detail = body.detail;
    code = typeof body.error === "string" ? body.error : code;
    if (typeof detail === "string") {
      message = detail;
    } else if (isFieldErrorList(detail)) {
      // The schema checker's wording ("String should have at least 3 characters") becomes plain language.
      fieldErrors = detail.map((item) => ({
        field: String(item.field),
        message: plainValidationMessage({ ...item, field: String(item.field), message: String(item.message) }),
      }));
      message = fieldErrors.map((item) => `${fieldLabel(item.field)}: ${item.message}`).join("; ");
    } else if (detail && typeof detail === "object" && "message" in detail && typeof detail.message === "string") {
      message = detail.message;
    }
  }
  if (response.status === 429) {
    const wait = retryAfter === null ? "in a moment" : `in ${retryAfter} second${retryAfter === 1 ? "" : "s"}`;
    message = `${message.replace(/\.?$/, ".")} Too many attempts: try again ${wait}.`;
  }
  return new ApiError(response.status, code, message, { fieldErrors, retryAfter, detail });
}

async function send(path: string, options: RequestOptions, token: string | null): Promise<Response> {
  const headers = new Headers({ Accept: "application/json" });
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(options.body);
  }
  if (token) headers.set("Authorization", `Bearer ${token}`);
  try {
    return await fetch(url(path, options.query), {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
      credentials: "include",
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "network_error", "Cannot reach the exchange. Check your connection and try again.");
  }
}

async function parse<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("Content-Type") ?? "";
  return (type.includes("json") ? await response.json() : await response.blob()) as T;
}

/**
 * Trades the refresh cookie for a new access token. Concurrent callers share one attempt, because the
 * exchange rotates the refresh token and treats a second use of the old one as theft.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await send("/refresh-token", { method: "POST" }, null);
      if (!response.ok) {
        accessToken = null;
        return false;
      }
      accessToken = ((await response.json()) as TokenResponse).access_token;
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

function endSession(): void {
  accessToken = null;
  for (const listener of signedOutListeners) listener();
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const authenticated = options.auth ?? true;
  let response = await send(path, options, authenticated ? accessToken : null);
  if (response.status === 401 && authenticated) {
    if (await refreshSession()) {
      response = await send(path, options, accessToken);
    }
    if (response.status === 401) {
      endSession();
      throw new ApiError(401, "session_ended", "Your session has ended. Please sign in again.");
    }
  }
  if (!response.ok) throw await errorFromResponse(response);
  return parse<T>(response);
}

export async function signIn(email: string, password: string, totpCode?: string): Promise<void> {
  const tokens = await api<TokenResponse>("/login", {
    method: "POST",
    body: { email, password, ...(totpCode ? { totp_code: totpCode } : {}) },
    auth: false,
  });
  accessToken = tokens.access_token;
}

export async function signOut(): Promise<void> {
  try {
    // The refresh cookie names the session to end; errors do not matter, the local session ends anyway.
    await send("/logout", { method: "POST" }, accessToken);
  } finally {
    accessToken = null;
  }
}
