import type { AuditReport } from "./types";

/**
 * What the tamper check of an intact trail covered, and how that relates to the listed events: the check
 * always runs over the whole exchange's trail, while an organization's administrator sees only the events
 * of their organization.
 */
export function intactChainText(chain: AuditReport["chain"], scope: string): string {
  const checked = `The whole exchange's audit trail was checked, all ${chain.events.toLocaleString("en")} events from every organization: none was changed or removed.`;
  return scope === "all" ? checked : `${checked} The list below shows only your organization's events.`;
}

/** The count above the event list, saying whose events it holds. */
export function listedEventsText(total: number, scope: string): string {
  const one = total === 1;
  const events = `${total.toLocaleString("en")} event${one ? "" : "s"}`;
  const verb = one ? "matches" : "match";
  return scope === "all"
    ? `${events} on the exchange ${verb} these filters.`
    : `${events} of your organization ${verb} these filters.`;
}
