import { describe, expect, it } from "vitest";
import { computationIdOf, describeEvent, roundProgress, timelineOf } from "@/lib/events";
import type { LiveEvent } from "@/lib/live";
import type { Computation, ComputationResult, Party } from "@/lib/types";

function event(name: string, data: Record<string, unknown>, at = "2026-03-01T10:05:00Z"): LiveEvent {
  return { id: `${name}-${at}`, event: name, channel: "org:o1", at, data: { computation_id: "c1", ...data } };
}

function party(index: number, name: string, status: Party["status"], respondedAt: string | null): Party {
  return {
    party_index: index,
    organization_id: `o${index}`,
    organization_name: name,
    status,
    source: status === "invited" ? null : "agent",
    hosted: false,
    dataset_id: null,
    responded_at: respondedAt,
    accepted_at: status === "declined" ? null : respondedAt,
    decline_reason: null,
    dropped_reason: status === "dropped" ? "had not sent all its round 2 messages by the deadline" : null,
  };
}

const computation: Computation = {
  id: "c1",
  title: "Mean systolic blood pressure",
  analysis: "mean",
  protocol: "shamir",
  status: "completed",
  current_round: 2,
  requester_organization_id: "o1",
  deadlines: { acceptance_at: "2026-03-02T10:00:00Z", round_at: null, expires_at: "2026-03-08T10:00:00Z" },
  failure_reason: null,
  result_id: "r1",
  created_at: "2026-03-01T10:00:00Z",
  params: { variable: { name: "systolic_bp", lo: 40, hi: 300 } },
  threshold: 2,
  min_participants: 2,
  k: 5,
  epsilon: null,
  delta: null,
  dp_mode: null,
  differential_privacy: null,
  iteration: 1,
  requester_user_id: "u1",
  started_at: "2026-03-01T10:03:00Z",
  finished_at: "2026-03-01T10:09:00Z",
  parties: [
    party(1, "North Hospital", "submitted", "2026-03-01T10:01:00Z"),
    party(2, "South Clinic", "accepted", "2026-03-01T10:03:00Z"),
    party(3, "East Laboratory", "dropped", "2026-03-01T10:02:00Z"),
  ],
};

const result: ComputationResult = {
  id: "r1",
  computation_id: "c1",
  status: "visible",
  values: null,
  protection: {},
  released: true,
  review_copy: false,
  waiting_for: [],
  withheld_reason: null,
  created_at: "2026-03-01T10:08:00Z",
  released_at: "2026-03-01T10:08:30Z",
};

describe("describeEvent", () => {
  it("says what each computation event means", () => {
    const title = "Mean BP";
    expect(describeEvent(event("computation.status", { from: "pending_approval", to: "running", round: 0 }), title)).toBe(
      "“Mean BP” is now running.",
    );
    expect(describeEvent(event("computation.status", { from: "running", to: "failed", reason: "round 2 has 1 parties" }))).toBe(
      "A computation is now failed: round 2 has 1 parties.",
    );
    expect(describeEvent(event("computation.message_received", { round: 1, sender: 2, submitted: [2], waiting: [1, 3] }), title)).toBe(
      "“Mean BP”: Party 2 sent its round 1 messages; waiting for parties 1 and 3.",
    );
    expect(describeEvent(event("computation.message_received", { round: 1, sender: 3, submitted: [1, 2, 3], waiting: [] }), title)).toBe(
      "“Mean BP”: Party 3 sent its round 1 messages; every party has sent its messages.",
    );
    expect(describeEvent(event("computation.party_dropped", { party_index: 3, round: 2, reason: "late" }), title)).toBe(
      "“Mean BP”: party 3 dropped out in round 2: late.",
    );
    expect(describeEvent(event("computation.result_recorded", { result_id: "r1", status: "awaiting_release" }), title)).toBe(
      "“Mean BP”: the result is ready and waits for output review.",
    );
    expect(describeEvent(event("computation.result_recorded", { result_id: "r1", status: "visible" }))).toBe(
      "A computation: the result is ready.",
    );
    expect(describeEvent(event("computation.round_started", { round: 2 }), title)).toBe("“Mean BP”: round 2 started.");
    expect(describeEvent(event("computation.iteration_started", { iteration: 3, round: 5 }), title)).toBe(
      "“Mean BP”: iteration 3 started, from round 5.",
    );
    expect(describeEvent(event("computation.something_new", {}), title)).toBe("“Mean BP”: Something new.");
  });

  it("finds the computation an event is about", () => {
    expect(computationIdOf(event("computation.status", {}))).toBe("c1");
    expect(computationIdOf({ ...event("x", {}), data: {} })).toBeNull();
  });
});

describe("timelineOf", () => {
  it("orders what the computation records and what was seen live", () => {
    const live = [
      event("computation.round_started", { round: 1 }, "2026-03-01T10:03:01Z"),
      event("computation.round_started", { round: 2 }, "2026-03-01T10:05:00Z"),
      event("computation.party_dropped", { party_index: 3, round: 2 }, "2026-03-01T10:07:00Z"),
      event("computation.iteration_started", { iteration: 2, round: 3 }, "2026-03-01T10:07:30Z"),
      { ...event("computation.round_started", { round: 9 }), data: { computation_id: "other", round: 9 } },
    ];
    expect(timelineOf(computation, result, live).map((entry) => entry.label)).toEqual([
      "Proposed",
      "North Hospital accepted",
      "East Laboratory accepted",
      "South Clinic accepted",
      "Started",
      "Round 1 started",
      "Round 2 started",
      "East Laboratory dropped out in round 2",
      "Iteration 2 started",
      "Result computed",
      "Result released",
      "Completed",
    ]);
  });

  it("shows declines and leaves out what has not happened", () => {
    const pending: Computation = {
      ...computation,
      status: "pending_approval",
      started_at: null,
      finished_at: null,
      result_id: null,
      parties: [party(1, "North Hospital", "accepted", "2026-03-01T10:01:00Z"), party(2, "South Clinic", "declined", "2026-03-01T10:02:00Z"), party(3, "East Laboratory", "invited", null)],
    };
    expect(timelineOf(pending, null, []).map((entry) => entry.label)).toEqual([
      "Proposed",
      "North Hospital accepted",
      "South Clinic declined",
    ]);
  });
});

describe("roundProgress", () => {
  it("splits the parties into sent, waiting and dropped", () => {
    const progress = roundProgress(computation);
    expect(progress.round).toBe(2);
    expect(progress.sent.map((item) => item.party_index)).toEqual([1]);
    expect(progress.waiting.map((item) => item.party_index)).toEqual([2]);
    expect(progress.dropped.map((item) => item.party_index)).toEqual([3]);
  });
});
