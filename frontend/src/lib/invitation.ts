import type { Computation, Me } from "./types";
import { ANALYSES } from "./wizard";

/** The name of an analysis as the computation wizard shows it ("Survival curve (Kaplan–Meier)"). */
export function analysisLabel(analysis: string): string {
  const known = ANALYSES.find((item) => item.value === analysis);
  if (known) return known.label;
  const text = analysis.replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * True when the signed-in user's organization is invited to this computation, has not answered yet, and
 * the user may answer for it (an organization administrator), while the computation still takes answers.
 */
export function awaitsOwnAnswer(computation: Computation, user: Me): boolean {
  if (user.role !== "org_admin" || !user.organization_id) return false;
  if (computation.status !== "pending_approval") return false;
  return computation.parties.some((party) => party.organization_id === user.organization_id && party.status === "invited");
}

/** What the computation page says right after the wizard sent the invitations. */
export function sentNotice(computation: Computation, user: Me): string {
  const sent = "Invitations were sent. The computation starts once enough organizations have accepted, each with one of its datasets.";
  const own = computation.parties.find((party) => party.organization_id === user.organization_id);
  if (!own || own.status !== "invited") return sent;
  if (awaitsOwnAnswer(computation, user)) return `${sent} Your organization takes part too: accept below.`;
  return `${sent} Your organization takes part too: an administrator of your organization accepts it under Approvals.`;
}

/** The query that tells the computation page the wizard has just sent its invitations. */
export const SENT_FLAG = "sent";

export function computationHref(id: string, justSent = false): string {
  return `/computations/view/?id=${encodeURIComponent(id)}${justSent ? `&${SENT_FLAG}=1` : ""}`;
}
