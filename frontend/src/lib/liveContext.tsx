"use client";

import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { currentAccessToken, refreshSession } from "./api";
import { LiveClient, liveUrl, type LiveEvent, type LiveReady, type LiveState } from "./live";

/** How many recent computation events the overview's feed keeps. */
export const FEED_SIZE = 50;

interface LiveContextValue {
  client: LiveClient | null;
  state: LiveState;
  reason: string;
  /** Computation events received since signing in, newest first. */
  feed: LiveEvent[];
}

const LiveContext = createContext<LiveContextValue>({ client: null, state: "stopped", reason: "", feed: [] });

function createClient(): LiveClient | null {
  if (typeof window === "undefined") return null;
  return new LiveClient({
    url: liveUrl("/ws/metrics", window.location, process.env.NEXT_PUBLIC_HDX_WS_BASE),
    token: currentAccessToken,
    refresh: refreshSession,
  });
}

/** One live connection for the signed-in pages; it closes when they unmount (signing out). */
export function LiveProvider({ children }: { children: ReactNode }) {
  const [client] = useState(createClient);
  const [status, setStatus] = useState<{ state: LiveState; reason: string }>({ state: "connecting", reason: "" });
  const [feed, setFeed] = useState<LiveEvent[]>([]);

  useEffect(() => {
    if (!client) return;
    const offState = client.on("state", (state, reason) => setStatus({ state, reason }));
    const offEvent = client.on("event", (event) => {
      if (!event.event.startsWith("computation.")) return;
      setFeed((last) => (last.some((item) => item.id === event.id) ? last : [event, ...last].slice(0, FEED_SIZE)));
    });
    client.start();
    return () => {
      offState();
      offEvent();
      client.stop();
    };
  }, [client]);

  return (
    <LiveContext.Provider value={{ client, state: status.state, reason: status.reason, feed }}>{children}</LiveContext.Provider>
  );
}

export function useLive(): LiveContextValue {
  return useContext(LiveContext);
}

/** Calls the latest `listener` for every event while the component is mounted. */
export function useLiveEvents(listener: (event: LiveEvent) => void): void {
  const { client } = useLive();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => client?.on("event", (event) => latest.current(event)), [client]);
}

/** Calls the latest `listener` each time the connection becomes live: events may have been missed before. */
export function useLiveReady(listener: (ready: LiveReady) => void): void {
  const { client } = useLive();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => client?.on("ready", (ready) => latest.current(ready)), [client]);
}

/** Receives `channel`'s events while mounted (null: none). */
export function useLiveChannel(channel: string | null): void {
  const { client } = useLive();
  useEffect(() => (client && channel ? client.subscribe(channel) : undefined), [client, channel]);
}

interface LiveRefresh {
  /** Which events make the data stale. */
  matches: (event: LiveEvent) => boolean;
  reload: () => void;
  /** Polling interval while the connection is not live. */
  pollMs: number;
  /** False once nothing can change any more (a finished computation). */
  enabled?: boolean;
  /** Events arriving in a burst cause one reload after this wait. */
  settleMs?: number;
}

/**
 * Keeps data current: reloads after matching events, whenever the connection becomes live (events may have
 * been missed), and by polling every `pollMs` while the connection is down. Returns the connection state.
 */
export function useLiveRefresh({ matches, reload, pollMs, enabled = true, settleMs = 400 }: LiveRefresh): LiveState {
  const { state } = useLive();
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef({ matches, reload, enabled });
  useEffect(() => {
    latest.current = { matches, reload, enabled };
  });

  useLiveEvents((event) => {
    if (!latest.current.enabled || !latest.current.matches(event) || timer.current !== null) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current.reload();
    }, settleMs);
  });
  useLiveReady(() => {
    if (latest.current.enabled) latest.current.reload();
  });
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  useEffect(() => {
    if (!enabled || state === "live") return;
    const poll = setInterval(() => latest.current.reload(), pollMs);
    return () => clearInterval(poll);
  }, [enabled, state, pollMs]);
  return state;
}
