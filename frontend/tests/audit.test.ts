import { describe, expect, it } from "vitest";
import { intactChainText, listedEventsText } from "@/lib/audit";

const chain = { intact: true, events: 177, first_bad_seq: null, reason: null };

describe("audit wording", () => {
  it("says the tamper check covers the whole exchange while the list shows the organization's events", () => {
    expect(intactChainText(chain, "organization")).toBe(
      "The whole exchange's audit trail was checked, all 177 events from every organization: none was changed or removed. The list below shows only your organization's events.",
    );
    expect(listedEventsText(117, "organization")).toBe("117 events of your organization match these filters.");
  });

  it("does not single out an organization for the platform administrator", () => {
    expect(intactChainText(chain, "all")).not.toContain("your organization");
    expect(listedEventsText(1, "all")).toBe("1 event on the exchange matches these filters.");
  });
});
