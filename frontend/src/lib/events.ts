/** Computation events from the live connection, and a computation's history, in words. */

import { formatDateTime, humanize } from "./format";
import type { LiveEvent } from "./live";
import type { Computation, ComputationResult, Party } from "./types";

export function computationIdOf(event: LiveEvent): string | null {
  const id = event.data.computation_id;
  return typeof id === "string" ? id : null;
}

const text = (value: unknown): string | null => (typeof value === "string" && value ? value : null);
const integer = (value: unknown): number | null => (typeof value === "number" && Number.isInteger(value) ? value : null);
const indexes = (value: unknown): number[] => (Array.isArray(value) ? value.filter((item): item is number => typeof item === "number") : []);

function partyList(parties: number[]): string {
  if (parties.length === 0) return "no party";
  const names = parties.map(String);
  const joined = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  return `${parties.length === 1 ? "party" : "parties"} ${joined}`;
}

/** One sentence for an event; `title` names the computation when it is known. */
export function describeEvent(event: LiveEvent, title?: string): string {
  const subject = title ? `“${title}”` : "A computation";
  const data = event.data;
  const round = integer(data.round);
  switch (event.event) {
    case "computation.status": {
      const to = text(data.to);
      const reason = text(data.reason);
      const state = to ? humanize(to).toLowerCase() : "changed";
      return `${subject} is now ${state}${reason ? `: ${reason}` : ""}.`;
    }
    case "computation.round_started":
      return `${subject}: round ${round ?? "?"} started${text(data.deadline) ? `, due ${formatDateTime(text(data.deadline))}` : ""}.`;
    case "computation.iteration_started":
      return `${subject}: iteration ${integer(data.iteration) ?? "?"} started, from round ${round ?? "?"}.`;
    case "computation.message_received": {
      const waiting = indexes(data.waiting);
      const sender = integer(data.sender);
      const from = sender === null ? "A party" : `Party ${sender}`;
      const rest = waiting.length === 0 ? "every party has sent its messages" : `waiting for ${partyList(waiting)}`;
      return `${subject}: ${from} sent its round ${round ?? "?"} messages; ${rest}.`;
    }
    case "computation.party_dropped": {
      const party = integer(data.party_index);
      const reason = text(data.reason);
      return `${subject}: party ${party ?? "?"} dropped out in round ${round ?? "?"}${reason ? `: ${reason}` : ""}.`;
    }
    case "computation.result_recorded":
      return data.status === "awaiting_release"
        ? `${subject}: the result is ready and waits for output review.`
        : `${subject}: the result is ready.`;
    default:
      return `${subject}: ${humanize(event.event.replace(/^computation\./, ""))}.`;
  }
}

export interface TimelineEntry {
  at: string;
  label: string;
}

const FINAL_WORDS: Record<string, string> = {
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  expired: "Expired",
};

/**
 * What happened to a computation, oldest first: what the computation and its result record (creation,
 * answers, start, result, release, end), and the iterations, rounds and dropouts seen live while the page was open.
 */
export function timelineOf(computation: Computation, result: ComputationResult | null, events: LiveEvent[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [{ at: computation.created_at, label: "Proposed" }];
  for (const party of computation.parties) {
    if (!party.responded_at) continue;
    const answer = party.status === "declined" ? "declined" : "accepted";
    entries.push({ at: party.responded_at, label: `${party.organization_name} ${answer}` });
  }
  if (computation.started_at) entries.push({ at: computation.started_at, label: "Started" });
  for (const event of events) {
    if (computationIdOf(event) !== computation.id) continue;
    const round = integer(event.data.round);
    if (event.event === "computation.iteration_started") {
      entries.push({ at: event.at, label: `Iteration ${integer(event.data.iteration) ?? "?"} started` });
    }
    if (event.event === "computation.round_started") entries.push({ at: event.at, label: `Round ${round ?? "?"} started` });
    if (event.event === "computation.party_dropped") {
      const party = computation.parties.find((item) => item.party_index === integer(event.data.party_index));
      entries.push({ at: event.at, label: `${party?.organization_name ?? "A party"} dropped out in round ${round ?? "?"}` });
    }
  }
  if (result) {
    entries.push({ at: result.created_at, label: "Result computed" });
    if (result.released_at && result.released_at !== result.created_at) entries.push({ at: result.released_at, label: "Result released" });
  }
  const final = FINAL_WORDS[computation.status];
  if (computation.finished_at && final) entries.push({ at: computation.finished_at, label: final });
  return entries
    .map((entry, order) => ({ entry, order, time: Date.parse(entry.at) }))
    .sort((a, b) => a.time - b.time || a.order - b.order)
    .map(({ entry }) => entry);
}

export interface RoundProgress {
  round: number;
  sent: Party[];
  waiting: Party[];
  dropped: Party[];
}

/** Who has delivered the current round (status submitted), who is still waited for, and who dropped out. */
export function roundProgress(computation: Computation): RoundProgress {
  return {
    round: computation.current_round,
    sent: computation.parties.filter((party) => party.status === "submitted"),
    waiting: computation.parties.filter((party) => party.status === "accepted"),
    dropped: computation.parties.filter((party) => party.status === "dropped"),
  };
}
