"use client";

import { useLive } from "@/lib/liveContext";
import type { LiveState } from "@/lib/live";

const WORDS: Record<LiveState, string> = {
  connecting: "Connecting to live updates…",
  live: "Live: updates appear as they happen.",
  reconnecting: "Live updates interrupted; reconnecting. Meanwhile the page checks every few seconds.",
  refused: "Live updates are unavailable; the page checks every few seconds.",
  "signed-out": "Live updates stopped: your session has ended.",
  stopped: "Live updates are off.",
};

const DOT: Record<LiveState, string> = {
  connecting: "bg-slate-400",
  live: "bg-green-600",
  reconnecting: "bg-amber-500",
  refused: "bg-red-600",
  "signed-out": "bg-red-600",
  stopped: "bg-slate-400",
};

/** The live connection's state in words; a polite status, so changes are announced without interrupting. */
export function LiveStatus() {
  const { state, reason } = useLive();
  return (
    <p role="status" className="flex items-center gap-2 text-sm text-slate-700">
      <span className={`inline-block h-2.5 w-2.5 shrink-0 rounded-full ${DOT[state]}`} aria-hidden />
      <span>
        {WORDS[state]}
        {state === "refused" && reason ? ` (${reason})` : ""}
      </span>
    </p>
  );
}
