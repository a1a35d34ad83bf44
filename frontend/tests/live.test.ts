import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LiveClient, backoffDelay, liveUrl, type LiveEvent, type LiveState, type SocketLike } from "@/lib/live";

/** The browser's WebSocket at its boundary: records what the client sends, lets the test play the server. */
class FakeSocket implements SocketLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.instances.push(this);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send before open");
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  // The server's side.
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  serverClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  ready(overrides: Record<string, unknown> = {}): void {
    this.open();
    this.receive({
      type: "ready",
      user_id: "u1",
      organization_id: "o1",
      channels: ["system", "org:o1"],
      heartbeat_seconds: 20,
      expires_at: new Date(Date.now() + 15 * 60_000).toISOString(),
      ...overrides,
    });
  }
}

const URL = "wss://exchange.example/ws/metrics";
let token: string | null;
let refreshes: boolean[];
let refreshCalls: number;

function client(): LiveClient {
  return new LiveClient({
    url: URL,
    token: () => token,
    refresh: async () => {
      refreshCalls += 1;
      const ok = refreshes.shift() ?? false;
      if (ok) token = `fresh-${refreshCalls}`;
      return ok;
    },
    WebSocket: FakeSocket,
    random: () => 1,
  });
}

function last(): FakeSocket {
  const socket = FakeSocket.instances.at(-1);
  if (!socket) throw new Error("no socket was opened");
  return socket;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-03-01T12:00:00Z"));
  FakeSocket.instances = [];
  token = "access-1";
  refreshes = [];
  refreshCalls = 0;
});

afterEach(() => {
  vi.useRealTimers();
});

describe("addresses and backoff", () => {
  it("uses the page's own origin with ws: or wss:, or a configured base", () => {
    expect(liveUrl("/ws/metrics", { protocol: "https:", host: "hdx.example" })).toBe("wss://hdx.example/ws/metrics");
    expect(liveUrl("/ws/metrics", { protocol: "http:", host: "localhost:8000" })).toBe("ws://localhost:8000/ws/metrics");
    expect(liveUrl("/ws/metrics", { protocol: "http:", host: "localhost:3000" }, "ws://127.0.0.1:8000/")).toBe(
      "ws://127.0.0.1:8000/ws/metrics",
    );
  });

  it("doubles the wait up to the maximum, with jitter between half and all of it", () => {
    expect([0, 1, 2, 3, 10].map((attempt) => backoffDelay(attempt, 1000, 30_000, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 30_000,
    ]);
    expect(backoffDelay(2, 1000, 30_000, () => 0)).toBe(2000);
  });
});

describe("handshake", () => {
  it("offers the token as a subprotocol, never in the URL", () => {
    const live = client();
    live.start();
    const socket = last();
    expect(socket.url).toBe(URL);
    expect(socket.url).not.toContain("access-1");
    expect(socket.protocols).toEqual(["hdx.v1", "bearer.access-1"]);
    expect(live.state).toBe("connecting");
    socket.ready();
    expect(live.state).toBe("live");
  });

  it("refreshes the session first when no token is in memory", async () => {
    token = null;
    refreshes = [true];
    const live = client();
    live.start();
    await vi.waitFor(() => expect(FakeSocket.instances).toHaveLength(1));
    expect(last().protocols).toEqual(["hdx.v1", "bearer.fresh-1"]);
  });

  it("gives up as signed out when no token can be had", async () => {
    token = null;
    refreshes = [false];
    const live = client();
    const states: LiveState[] = [];
    live.on("state", (state) => states.push(state));
    live.start();
    await vi.waitFor(() => expect(live.state).toBe("signed-out"));
    expect(FakeSocket.instances).toHaveLength(0);
  });
});

describe("messages", () => {
  it("answers the server's pings with pongs", () => {
    const live = client();
    live.start();
    const socket = last();
    socket.ready();
    socket.receive({ type: "ping" });
    expect(socket.sent).toEqual([{ type: "pong" }]);
  });

  it("hands events to listeners and subscribes to channels, before and after the connection is ready", () => {
    const live = client();
    const events: LiveEvent[] = [];
    live.on("event", (event) => events.push(event));
    const releaseEarly = live.subscribe("computation:c1");
    live.start();
    const socket = last();
    socket.ready();
    expect(socket.sent).toEqual([{ type: "subscribe", channel: "computation:c1" }]);

    const releaseLate = live.subscribe("computation:c2");
    const releaseAgain = live.subscribe("computation:c2");
    expect(socket.sent.at(-1)).toEqual({ type: "subscribe", channel: "computation:c2" });
    expect(socket.sent).toHaveLength(2);

    const event = {
      type: "event",
      id: "e1",
      event: "computation.status",
      channel: "computation:c1",
      at: "2026-03-01T12:00:01Z",
      data: { computation_id: "c1", from: "pending_approval", to: "running", round: 0 },
    };
    socket.receive(event);
    expect(events).toEqual([event]);

    releaseLate();
    expect(socket.sent).toHaveLength(2);
    releaseAgain();
    expect(socket.sent.at(-1)).toEqual({ type: "unsubscribe", channel: "computation:c2" });
    releaseEarly();
    expect(socket.sent.at(-1)).toEqual({ type: "unsubscribe", channel: "computation:c1" });
  });

  it("ignores messages that are not JSON", () => {
    const live = client();
    const events: LiveEvent[] = [];
    live.on("event", (event) => events.push(event));
    live.start();
    const socket = last();
    socket.ready();
    socket.onmessage?.({ data: "not json" });
    expect(events).toEqual([]);
    expect(live.state).toBe("live");
  });
});

describe("reconnecting", () => {
  it("reconnects with growing waits and resubscribes after a dropped connection", () => {
    const live = client();
    const readies: number[] = [];
    live.on("ready", () => readies.push(Date.now()));
    live.subscribe("computation:c1");
    live.start();
    last().ready();

    last().serverClose(1006);
    expect(live.state).toBe("reconnecting");
    vi.advanceTimersByTime(999);
    expect(FakeSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(2);

    last().serverClose(1006);
    vi.advanceTimersByTime(1999);
    expect(FakeSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.instances).toHaveLength(3);

    last().ready();
    expect(live.state).toBe("live");
    expect(last().sent).toEqual([{ type: "subscribe", channel: "computation:c1" }]);
    expect(readies).toHaveLength(2);

    // A successful connection resets the backoff.
    last().serverClose(1013, "too slow");
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.instances).toHaveLength(4);
  });

  it("reconnects with a fresh token after the exchange refuses an expired one", async () => {
    refreshes = [true];
    const live = client();
    live.start();
    last().ready();
    last().serverClose(1008, "token expired: reconnect with a fresh token");
    await vi.waitFor(() => expect(refreshCalls).toBe(1));
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.instances).toHaveLength(2);
    expect(last().protocols).toEqual(["hdx.v1", "bearer.fresh-1"]);
    last().ready();
    expect(live.state).toBe("live");
  });

  it("stops as signed out when the refresh is refused after a 1008", async () => {
    refreshes = [false];
    const live = client();
    live.start();
    last().ready();
    last().serverClose(1008, "Token was revoked; sign in again");
    await vi.waitFor(() => expect(live.state).toBe("signed-out"));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it("stops as refused when a fresh token is refused too (a foreign origin, say)", async () => {
    refreshes = [true];
    const live = client();
    live.start();
    last().serverClose(1008, "origin not allowed");
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.instances).toHaveLength(2);
    last().serverClose(1008, "origin not allowed");
    expect(live.state).toBe("refused");
    expect(live.stateReason).toBe("origin not allowed");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it("drops and replaces a connection that stays silent for two heartbeats", () => {
    const live = client();
    live.start();
    const socket = last();
    socket.ready({ heartbeat_seconds: 20 });
    vi.advanceTimersByTime(30_000);
    socket.receive({ type: "ping" });
    vi.advanceTimersByTime(44_999);
    expect(socket.closedWith).toBeNull();
    vi.advanceTimersByTime(1);
    expect(socket.closedWith?.code).toBe(4000);
    expect(live.state).toBe("reconnecting");
    vi.advanceTimersByTime(1000);
    expect(FakeSocket.instances).toHaveLength(2);
  });

  it("sends a fresh token a minute before the current one expires", async () => {
    refreshes = [true];
    const live = client();
    live.start();
    const socket = last();
    socket.ready({ expires_at: new Date(Date.now() + 15 * 60_000).toISOString() });
    // The server pings every 20 seconds, which keeps the watchdog quiet.
    for (let second = 20; second < 14 * 60; second += 20) {
      await vi.advanceTimersByTimeAsync(20_000);
      socket.receive({ type: "ping" });
    }
    expect(refreshCalls).toBe(0);
    await vi.advanceTimersByTimeAsync(20_000);
    await vi.waitFor(() => expect(socket.sent).toContainEqual({ type: "auth", token: "fresh-1" }));
    expect(live.state).toBe("live");
    expect(FakeSocket.instances).toHaveLength(1);
  });

  it("closes and stays closed after stop", async () => {
    const live = client();
    live.start();
    const socket = last();
    socket.ready();
    live.stop();
    expect(socket.closedWith?.code).toBe(1000);
    expect(live.state).toBe("stopped");
    await vi.advanceTimersByTimeAsync(120_000);
    expect(FakeSocket.instances).toHaveLength(1);
  });
});
