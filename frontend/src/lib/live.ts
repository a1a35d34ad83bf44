/**
 * The live connection to the exchange's WebSocket feed (`/ws/metrics`).
 *
 * The access token travels in the `Sec-WebSocket-Protocol` header (`["hdx.v1", "bearer.<token>"]`), never in
 * the URL, which proxies log. The exchange pings every few seconds and drops a client that does not answer;
 * it closes with 1008 when the token is refused or expires. This client answers pings, sends a fresh token
 * before the current one expires, and reconnects with exponential backoff (a fresh token each time) when the
 * connection drops. Events published while it was away are lost, so listeners of `ready` reload what they
 * show over the REST API.
 */

export const PROTOCOL = "hdx.v1";
export const BEARER_PREFIX = "bearer.";
export const POLICY_VIOLATION = 1008;

/** connecting: first attempt; live: authenticated; reconnecting: waiting to try again; refused: the exchange
 * will not accept this client (its origin, its account); signed-out: no token can be had; stopped: closed on purpose. */
export type LiveState = "connecting" | "live" | "reconnecting" | "refused" | "signed-out" | "stopped";

export interface LiveEvent {
  id: string;
  event: string;
  channel: string;
  at: string;
  data: Record<string, unknown>;
}

export interface LiveReady {
  user_id: string;
  organization_id: string | null;
  channels: string[];
  heartbeat_seconds: number;
  expires_at: string;
}

export interface LiveMetrics {
  at: string;
  /** platform: a platform admin's whole-exchange view; organization: the user's own; none: a role that sees no computations. */
  scope: "platform" | "organization" | "none";
  computations: { pending_approval: number; running: number; awaiting_release: number } | null;
  /** The exchange process's figures, for platform admins only. */
  process: { connections: number; rss_bytes: number | null; uptime_seconds: number } | null;
}

export interface LiveError {
  code: string;
  message: string;
  channel: string | null;
}

/** The part of the browser's WebSocket this client uses; tests pass a fake class with the same shape. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketClass = new (url: string, protocols: string[]) => SocketLike;

export interface LiveOptions {
  url: string;
  /** The access token in memory now. */
  token: () => string | null;
  /** Trades the refresh cookie for a new access token; false when the session is over. */
  refresh: () => Promise<boolean>;
  WebSocket?: SocketClass;
  /** For the backoff's jitter; not used for anything secret. */
  random?: () => number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** How long before the token's expiry a fresh one is sent. */
  renewBeforeMs?: number;
}

const OPEN = 1;

interface Listeners {
  state: Set<(state: LiveState, reason: string) => void>;
  event: Set<(event: LiveEvent) => void>;
  ready: Set<(ready: LiveReady) => void>;
  metrics: Set<(metrics: LiveMetrics) => void>;
  error: Set<(error: LiveError) => void>;
}

type ListenerOf<K extends keyof Listeners> = Listeners[K] extends Set<infer F> ? F : never;

/** The ws:// or wss:// address of `path` on the page's own origin, or on `base` when one is configured. */
export function liveUrl(path: string, location: { protocol: string; host: string }, base?: string): string {
  if (base) return `${base.replace(/\/$/, "")}${path}`;
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`;
}

/** The wait before reconnect attempt `attempt` (0-based): doubling up to `max`, with 50–100 % jitter. */
export function backoffDelay(attempt: number, initial: number, max: number, random: () => number): number {
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + 0.5 * random()));
}

export class LiveClient {
  private readonly options: Required<Omit<LiveOptions, "WebSocket">> & { WebSocket: SocketClass | undefined };
  private socket: SocketLike | null = null;
  private current: LiveState = "stopped";
  private reason = "";
  private attempt = 0;
  /** Set by a 1008 close; a second one before any `ready` means the exchange refuses this client for good. */
  private refusedOnce = false;
  private running = false;
  /** Bumped by start and stop, so a connect attempt that outlived its run gives up. */
  private generation = 0;
  private readonly channels = new Map<string, number>();
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private renewTimer: ReturnType<typeof setTimeout> | null = null;
  private watchdogTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatMs = 0;
  private readonly listeners: Listeners = {
    state: new Set(),
    event: new Set(),
    ready: new Set(),
    metrics: new Set(),
    error: new Set(),
  };

  constructor(options: LiveOptions) {
    this.options = {
      random: Math.random,
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      renewBeforeMs: 60_000,
      ...options,
      WebSocket: options.WebSocket ?? (globalThis.WebSocket as unknown as SocketClass | undefined),
    };
  }

  get state(): LiveState {
    return this.current;
  }

  /** Why the connection is not live, when the exchange said so. */
  get stateReason(): string {
    return this.reason;
  }

  on<K extends keyof Listeners>(kind: K, listener: ListenerOf<K>): () => void {
    const set = this.listeners[kind] as Set<ListenerOf<K>>;
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation += 1;
    this.attempt = 0;
    this.refusedOnce = false;
    this.setState("connecting");
    void this.connect();
  }

  stop(): void {
    this.running = false;
    this.generation += 1;
    this.clearTimers();
    this.drop(1000, "signed out");
    this.setState("stopped");
  }

  /** Receive `channel`'s events while at least one caller holds the returned release function. */
  subscribe(channel: string): () => void {
    const holders = this.channels.get(channel) ?? 0;
    this.channels.set(channel, holders + 1);
    if (holders === 0 && this.current === "live") this.send({ type: "subscribe", channel });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.channels.get(channel) ?? 1) - 1;
      if (left > 0) {
        this.channels.set(channel, left);
        return;
      }
      this.channels.delete(channel);
      if (this.current === "live") this.send({ type: "unsubscribe", channel });
    };
  }

  private async connect(): Promise<void> {
    const generation = this.generation;
    if (!this.running) return;
    let token = this.options.token();
    if (!token) {
      const renewed = await this.options.refresh();
      if (generation !== this.generation) return;
      token = renewed ? this.options.token() : null;
    }
    const Socket = this.options.WebSocket;
    if (!token || !Socket) {
      this.running = false;
      this.setState(Socket ? "signed-out" : "refused", Socket ? "" : "this browser has no WebSocket support");
      return;
    }
    let socket: SocketLike;
    try {
      socket = new Socket(this.options.url, [PROTOCOL, `${BEARER_PREFIX}${token}`]);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onmessage = (message) => this.receive(socket, message.data);
    socket.onclose = (event) => this.closed(socket, event.code, event.reason);
    // Every error is followed by a close event, which decides what happens next.
    socket.onerror = () => undefined;
  }

  private receive(socket: SocketLike, data: unknown): void {
    if (socket !== this.socket || typeof data !== "string") return;
    let message: { type?: unknown } & Record<string, unknown>;
    try {
      message = JSON.parse(data) as typeof message;
    } catch {
      return;
    }
    this.armWatchdog();
    switch (message.type) {
      case "ready":
        this.ready(message as unknown as LiveReady);
        break;
      case "ping":
        this.send({ type: "pong" });
        break;
      case "event":
        for (const listener of this.listeners.event) listener(message as unknown as LiveEvent);
        break;
      case "metrics":
        for (const listener of this.listeners.metrics) listener(message as unknown as LiveMetrics);
        break;
      case "error": {
        const error = message as unknown as LiveError;
        if (error.channel) this.channels.delete(error.channel);
        for (const listener of this.listeners.error) listener({ ...error, channel: error.channel ?? null });
        break;
      }
      default:
        break;
    }
  }

  private ready(ready: LiveReady): void {
    this.attempt = 0;
    this.refusedOnce = false;
    this.heartbeatMs = Math.max(1, ready.heartbeat_seconds) * 1000;
    this.armWatchdog();
    this.scheduleRenewal(ready.expires_at);
    for (const channel of this.channels.keys()) {
      if (!ready.channels.includes(channel)) this.send({ type: "subscribe", channel });
    }
    this.setState("live");
    for (const listener of this.listeners.ready) listener(ready);
  }

  private closed(socket: SocketLike, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = null;
    this.clearTimers();
    if (!this.running) return;
    if (code !== POLICY_VIOLATION) {
      this.scheduleReconnect(reason);
      return;
    }
    if (this.refusedOnce) {
      this.running = false;
      this.setState("refused", reason);
      return;
    }
    // The token expired or was revoked: try once more with a fresh one.
    this.refusedOnce = true;
    this.setState("reconnecting", reason);
    const generation = this.generation;
    void this.options.refresh().then((renewed) => {
      if (generation !== this.generation) return;
      if (!renewed) {
        this.running = false;
        this.setState("signed-out", reason);
        return;
      }
      this.scheduleReconnect(reason);
    });
  }

  private scheduleReconnect(reason = ""): void {
    const delay = backoffDelay(this.attempt, this.options.initialDelayMs, this.options.maxDelayMs, this.options.random);
    this.attempt += 1;
    this.setState("reconnecting", reason);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
  }

  private scheduleRenewal(expiresAt: string): void {
    if (this.renewTimer !== null) clearTimeout(this.renewTimer);
    const expiry = Date.parse(expiresAt);
    if (Number.isNaN(expiry)) return;
    const wait = Math.max(1000, expiry - Date.now() - this.options.renewBeforeMs);
    this.renewTimer = setTimeout(() => {
      this.renewTimer = null;
      void this.renew();
    }, wait);
  }

  private async renew(): Promise<void> {
    const generation = this.generation;
    const renewed = await this.options.refresh();
    const token = this.options.token();
    // Without a fresh token the exchange closes the connection at expiry, and `closed` takes over.
    if (!renewed || !token || generation !== this.generation) return;
    this.send({ type: "auth", token });
  }

  /** A connection silent for two heartbeats is dead even if no close event came (a sleeping laptop). */
  private armWatchdog(): void {
    if (this.heartbeatMs === 0) return;
    if (this.watchdogTimer !== null) clearTimeout(this.watchdogTimer);
    const socket = this.socket;
    this.watchdogTimer = setTimeout(() => {
      this.watchdogTimer = null;
      if (socket !== this.socket || socket === null) return;
      this.drop(4000, "no heartbeat");
      this.clearTimers();
      if (this.running) this.scheduleReconnect("no heartbeat from the exchange");
    }, this.heartbeatMs * 2 + 5000);
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket && this.socket.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  private drop(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
    try {
      socket.close(code, reason);
    } catch {
      // Closing a socket that never opened can throw; it is gone either way.
    }
  }

  private clearTimers(): void {
    for (const timer of [this.reconnectTimer, this.renewTimer, this.watchdogTimer]) {
      if (timer !== null) clearTimeout(timer);
    }
    this.reconnectTimer = this.renewTimer = this.watchdogTimer = null;
    this.heartbeatMs = 0;
  }

  private setState(state: LiveState, reason = ""): void {
    if (state === this.current && reason === this.reason) return;
    this.current = state;
    this.reason = reason;
    for (const listener of this.listeners.state) listener(state, reason);
  }
}
