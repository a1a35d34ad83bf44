import { intactChainText } from "@/lib/audit";
import type { AuditReport } from "@/lib/types";
import { Alert } from "./Alert";

export function ChainStatus({ chain, scope }: { chain: AuditReport["chain"]; scope: string }) {
  if (chain.intact) {
    return (
      <Alert tone="success" title="The audit trail is intact">
        {intactChainText(chain, scope)}
      </Alert>
    );
  }
  return (
    <Alert tone="error" title="The audit trail has been tampered with">
      The check stopped at event {chain.first_bad_seq ?? "?"}
      {chain.reason ? `: ${chain.reason}` : ""}. Report this to your security officer.
    </Alert>
  );
}
