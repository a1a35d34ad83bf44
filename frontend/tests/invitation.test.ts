import { describe, expect, it } from "vitest";
import { analysisLabel, awaitsOwnAnswer, computationHref, sentNotice } from "@/lib/invitation";
import type { Computation, Me, Party } from "@/lib/types";

const ORG = "11111111-1111-1111-1111-111111111111";
const OTHER = "22222222-2222-2222-2222-222222222222";

function party(organization_id: string, status: Party["status"], party_index: number): Party {
  return {
    party_index,
    organization_id,
    organization_name: organization_id === ORG ? "North Clinic" : "South Hospital",
    status,
    source: null,
    hosted: false,
    dataset_id: null,
    responded_at: null,
    accepted_at: null,
    decline_reason: null,
    dropped_reason: null,
  };
}

function computation(status: Computation["status"], parties: Party[]): Computation {
  return {
    id: "c1",
    title: "Glucose",
    analysis: "ols",
    protocol: "shamir",
    status,
    current_round: 0,
    requester_organization_id: ORG,
    deadlines: { acceptance_at: "2026-01-01T00:00:00Z", round_at: null, expires_at: "2026-01-02T00:00:00Z" },
    failure_reason: null,
    result_id: null,
    created_at: "2026-01-01T00:00:00Z",
    params: {},
    iteration: 0,
    dp_mode: null,
    differential_privacy: null,
    threshold: 2,
    min_participants: 2,
    k: 5,
    epsilon: null,
    delta: null,
    requester_user_id: null,
    started_at: null,
    finished_at: null,
    parties,
  };
}

function user(role: Me["role"]): Me {
  return {
    id: "u1",
    email: "a@example.org",
    full_name: "A",
    phone: null,
    role,
    organization_id: ORG,
    email_verified: true,
    totp_enabled: false,
    created_at: "2026-01-01T00:00:00Z",
    last_login_at: null,
    organization: { id: ORG, name: "North Clinic", type: "clinic" },
  };
}

describe("analysisLabel", () => {
  it("uses the wizard's names, not the exchange's identifiers", () => {
    expect(analysisLabel("ols")).toBe("Linear regression");
    expect(analysisLabel("kaplan_meier")).toBe("Survival curve (Kaplan–Meier)");
    expect(analysisLabel("crosstab")).toBe("Cross-tabulation");
    expect(analysisLabel("something_new")).toBe("Something new");
  });
});

describe("awaitsOwnAnswer", () => {
  it("is true for an administrator whose organization is still invited, the requester's included", () => {
    const pending = computation("pending_approval", [party(ORG, "invited", 0), party(OTHER, "accepted", 1)]);
    expect(awaitsOwnAnswer(pending, user("org_admin"))).toBe(true);
  });

  it("is false once the organization answered, for members who cannot answer, and after the answers closed", () => {
    const accepted = computation("pending_approval", [party(ORG, "accepted", 0), party(OTHER, "invited", 1)]);
    expect(awaitsOwnAnswer(accepted, user("org_admin"))).toBe(false);
    const pending = computation("pending_approval", [party(ORG, "invited", 0)]);
    expect(awaitsOwnAnswer(pending, user("doctor"))).toBe(false);
    expect(awaitsOwnAnswer(computation("cancelled", [party(ORG, "invited", 0)]), user("org_admin"))).toBe(false);
  });
});

describe("computationHref", () => {
  it("marks the page the wizard lands on after sending invitations", () => {
    expect(computationHref("a b")).toBe("/computations/view/?id=a%20b");
    expect(computationHref("c1", true)).toBe("/computations/view/?id=c1&sent=1");
  });
});

describe("sentNotice", () => {
  it("tells the requesting organization that it must accept too, and who can", () => {
    const pending = computation("pending_approval", [party(ORG, "invited", 0), party(OTHER, "invited", 1)]);
    expect(sentNotice(pending, user("org_admin"))).toContain("Your organization takes part too: accept below.");
    expect(sentNotice(pending, user("doctor"))).toContain("an administrator of your organization accepts it under Approvals");
    const answered = computation("pending_approval", [party(ORG, "accepted", 0), party(OTHER, "invited", 1)]);
    expect(sentNotice(answered, user("org_admin"))).not.toContain("Your organization");
  });
});
