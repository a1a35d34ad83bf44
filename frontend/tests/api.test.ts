import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, api, onSignedOut, refreshSession, setAccessToken, signIn, signOut } from "@/lib/api";
import { datasets } from "@/lib/hdx";

interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: BodyInit | null | undefined;
  credentials: RequestCredentials | undefined;
}

type Answer = Response | (() => Response) | Error;

let calls: Call[] = [];
let answers: Answer[] = [];

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

const tokens = (access: string) =>
  json(200, { access_token: access, refresh_token: "r", token_type: "bearer", expires_in: 900, refresh_expires_in: 1800 });

/** The network boundary: records each request and answers with the next prepared response. */
function answer(...next: Answer[]): void {
  answers.push(...next);
}

beforeEach(() => {
  calls = [];
  answers = [];
  setAccessToken(null);
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init: RequestInit = {}) => {
      calls.push({
        url,
        method: init.method ?? "GET",
        headers: new Headers(init.headers),
        body: init.body,
        credentials: init.credentials,
      });
      const next = answers.shift();
      if (next === undefined) throw new Error(`unexpected request ${init.method} ${url}`);
      if (next instanceof Error) throw next;
      return typeof next === "function" ? next() : next;
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("requests", () => {
  it("sends JSON bodies with the access token and returns the parsed answer", async () => {
    answer(tokens("access-1"), json(200, { id: "u1" }));
    await signIn("ana@clinic.org", "correct horse battery", "123456");
    const me = await api<{ id: string }>("/me");

    expect(me).toEqual({ id: "u1" });
    const [login, get] = calls;
    expect(login?.url).toBe("/login");
    expect(login?.method).toBe("POST");
    expect(login?.headers.get("Content-Type")).toBe("application/json");
    expect(JSON.parse(String(login?.body))).toEqual({
      email: "ana@clinic.org",
      password: "correct horse battery",
      totp_code: "123456",
    });
    expect(login?.headers.get("Authorization")).toBeNull();
    expect(login?.credentials).toBe("include");
    expect(get?.headers.get("Authorization")).toBe("Bearer access-1");
    expect(get?.headers.get("Accept")).toBe("application/json");
  });

  it("builds the query string and leaves out empty values", async () => {
    answer(json(200, { items: [], total: 0, page: 2, size: 20 }));
    await datasets.list(2, 20, undefined);
    expect(calls[0]?.url).toBe("/uploads?page=2&size=20");
  });

  it("sends uploads as multipart form data and lets the browser set the boundary", async () => {
    answer(json(201, { id: "d1" }));
    const file = new File(["patient_id,systolic_bp\n1,120\n"], "vitals.csv", { type: "text/csv" });
    await datasets.upload(file, "vitals", "March vitals", "");

    const body = calls[0]?.body;
    expect(body).toBeInstanceOf(FormData);
    const form = body as FormData;
    expect(form.get("category")).toBe("vitals");
    expect(form.get("name")).toBe("March vitals");
    expect(form.has("description")).toBe(false);
    expect((form.get("file") as File).name).toBe("vitals.csv");
    expect(calls[0]?.headers.get("Content-Type")).toBeNull();
  });

  it("returns undefined for 204 No Content", async () => {
    answer(new Response(null, { status: 204 }));
    await expect(datasets.remove("d1")).resolves.toBeUndefined();
    expect(calls[0]?.method).toBe("DELETE");
    expect(calls[0]?.url).toBe("/uploads/d1");
  });
});

describe("errors", () => {
  it("carries the server's error code and message", async () => {
    answer(json(404, { error: "not_found", detail: "Dataset not found" }));
    const error = await api("/uploads/x").catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: "not_found", message: "Dataset not found" });
  });

  it("turns validation detail lists into field errors and a readable message", async () => {
    answer(
      json(422, {
        error: "validation_error",
        detail: [
          { field: "password", message: "use at least 12 characters" },
          { field: "privacy_accepted", message: "Value error, the privacy policy must be accepted to register" },
        ],
      }),
    );
    const error = (await api("/register", { method: "POST", body: {}, auth: false }).catch((e: unknown) => e)) as ApiError;

    expect(error.fieldErrors).toEqual([
      { field: "password", message: "use at least 12 characters" },
      { field: "privacy_accepted", message: "the privacy policy must be accepted to register" },
    ]);
    expect(error.message).toBe(
      "password: use at least 12 characters; privacy accepted: the privacy policy must be accepted to register",
    );
  });

  it("words the schema checker's messages in plain language", async () => {
    answer(
      json(422, {
        error: "validation_error",
        detail: [
          { field: "code", message: "String should match pattern '^\\d{6}$'" },
          { field: "k", message: "Input should be greater than 0" },
        ],
      }),
    );
    const error = (await api("/verify-email", { method: "POST", body: {}, auth: false }).catch((e: unknown) => e)) as ApiError;

    expect(error.fieldErrors).toEqual([
      { field: "code", message: "Enter the 6-digit code from the e-mail" },
      { field: "k", message: "Must be more than 0" },
    ]);
    expect(error.message).toBe("code: Enter the 6-digit code from the e-mail; k: Must be more than 0");
  });

  it("keeps structured detail, such as the report of a refused upload", async () => {
    const report = { rows_read: 10, rows_accepted: 1, rows_rejected: 9, problems: [] };
    answer(json(422, { error: "validation_error", detail: { message: "Too many invalid rows", report } }));
    const error = (await api("/upload", { method: "POST", body: new FormData() }).catch((e: unknown) => e)) as ApiError;

    expect(error.message).toBe("Too many invalid rows");
    expect(error.detail).toEqual({ message: "Too many invalid rows", report });
  });

  it("tells how long to wait when rate limited", async () => {
    answer(json(429, { error: "rate_limited", detail: "Too many sign-in attempts" }, { "Retry-After": "30" }));
    const error = (await signIn("ana@clinic.org", "x").catch((e: unknown) => e)) as ApiError;

    expect(error.status).toBe(429);
    expect(error.retryAfter).toBe(30);
    expect(error.message).toBe("Too many sign-in attempts. Too many attempts: try again in 30 seconds.");
  });

  it("explains answers that are not the exchange's JSON", async () => {
    answer(new Response("<html>Bad gateway</html>", { status: 502, headers: { "Content-Type": "text/html" } }));
    const error = (await api("/me").catch((e: unknown) => e)) as ApiError;

    expect(error.code).toBe("http_502");
    expect(error.message).toContain("HTTP 502");
  });

  it("reports an unreachable exchange", async () => {
    answer(new TypeError("Failed to fetch"));
    const error = (await api("/me").catch((e: unknown) => e)) as ApiError;

    expect(error).toMatchObject({ status: 0, code: "network_error" });
  });

  it("does not try to refresh when signing in fails", async () => {
    answer(json(401, { error: "unauthorized", detail: "Incorrect email or password" }));
    const error = (await signIn("ana@clinic.org", "wrong").catch((e: unknown) => e)) as ApiError;

    expect(error.message).toBe("Incorrect email or password");
    expect(calls).toHaveLength(1);
  });
});

describe("session", () => {
  it("refreshes once on 401 and repeats the request with the new token", async () => {
    setAccessToken("expired");
    answer(json(401, { error: "unauthorized", detail: "Token expired" }), tokens("fresh"), json(200, { ok: true }));

    await expect(api("/me")).resolves.toEqual({ ok: true });
    expect(calls.map((call) => `${call.method} ${call.url}`)).toEqual(["GET /me", "POST /refresh-token", "GET /me"]);
    const refresh = calls[1];
    expect(refresh?.body).toBeUndefined();
    expect(refresh?.credentials).toBe("include");
    expect(refresh?.headers.get("Authorization")).toBeNull();
    expect(calls[2]?.headers.get("Authorization")).toBe("Bearer fresh");
  });

  it("signs out when the refresh is refused", async () => {
    setAccessToken("expired");
    const ended = vi.fn();
    const unsubscribe = onSignedOut(ended);
    answer(json(401, { error: "unauthorized", detail: "Token expired" }), json(401, { error: "unauthorized", detail: "Refresh token reused" }));

    const error = (await api("/me").catch((e: unknown) => e)) as ApiError;
    unsubscribe();

    expect(error).toMatchObject({ status: 401, code: "session_ended" });
    expect(ended).toHaveBeenCalledTimes(1);
    answer(json(401, { error: "unauthorized", detail: "Not authenticated" }), json(401, { error: "unauthorized", detail: "no" }));
    await api("/me").catch(() => undefined);
    expect(calls[2]?.headers.get("Authorization")).toBeNull();
  });

  it("refreshes only once when the repeated request is refused again", async () => {
    setAccessToken("expired");
    const ended = vi.fn();
    const unsubscribe = onSignedOut(ended);
    answer(json(401, { error: "unauthorized", detail: "a" }), tokens("fresh"), json(401, { error: "unauthorized", detail: "b" }));

    await expect(api("/me")).rejects.toMatchObject({ code: "session_ended" });
    unsubscribe();
    expect(calls).toHaveLength(3);
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it("shares one refresh between concurrent requests, since the exchange rotates refresh tokens", async () => {
    setAccessToken("expired");
    answer(
      json(401, { error: "unauthorized", detail: "a" }),
      json(401, { error: "unauthorized", detail: "b" }),
      tokens("fresh"),
      json(200, { n: 1 }),
      json(200, { n: 2 }),
    );

    const results = await Promise.all([api("/me"), api("/organizations/me")]);
    expect(results).toHaveLength(2);
    expect(calls.filter((call) => call.url === "/refresh-token")).toHaveLength(1);
  });

  it("restores a session from the refresh cookie", async () => {
    answer(tokens("restored"), json(200, { id: "u1" }));
    await expect(refreshSession()).resolves.toBe(true);
    await api("/me");
    expect(calls[1]?.headers.get("Authorization")).toBe("Bearer restored");
  });

  it("signs out on the server and forgets the token even when the server cannot be reached", async () => {
    setAccessToken("live");
    answer(new TypeError("Failed to fetch"));
    await expect(signOut()).rejects.toBeInstanceOf(ApiError);
    expect(calls[0]).toMatchObject({ url: "/logout", method: "POST", credentials: "include" });

    answer(json(401, { error: "unauthorized", detail: "Not authenticated" }), json(401, { error: "unauthorized", detail: "x" }));
    await api("/me").catch(() => undefined);
    expect(calls[1]?.headers.get("Authorization")).toBeNull();
  });
});
