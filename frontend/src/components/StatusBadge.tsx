import { humanize } from "@/lib/format";
import type { ComputationStatus } from "@/lib/types";

const tones: Record<ComputationStatus, string> = {
  draft: "bg-slate-100 text-slate-800",
  pending_approval: "bg-amber-100 text-amber-900",
  running: "bg-blue-100 text-blue-900",
  awaiting_release: "bg-amber-100 text-amber-900",
  completed: "bg-green-100 text-green-900",
  failed: "bg-red-100 text-red-900",
  cancelled: "bg-slate-200 text-slate-800",
  expired: "bg-slate-200 text-slate-800",
};

export function StatusBadge({ status }: { status: ComputationStatus }) {
  return <span className={`inline-block rounded-full px-2.5 py-0.5 text-xs font-semibold ${tones[status]}`}>{humanize(status)}</span>;
}
