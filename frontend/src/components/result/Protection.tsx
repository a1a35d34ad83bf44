import { protectionRows, released } from "@/lib/result";
import { PROTOCOLS } from "@/lib/wizard";
import { ValueList } from "./ValueList";

/** What protects a released result: how it was computed, its disclosure limits and its privacy cost. */
export function Protection({ protection, values }: { protection: Record<string, unknown>; values: Record<string, unknown> | null }) {
  const rows = protectionRows(protection, values ? released(values) : null).map((row) => {
    if (row.label !== "Protocol") return row;
    const protocol = PROTOCOLS.find((item) => item.value === row.value);
    return protocol ? { ...row, value: protocol.label } : row;
  });
  return (
    <section aria-labelledby="protection-title" className="space-y-2">
      <h3 id="protection-title" className="font-semibold text-slate-900">
        What protects this result
      </h3>
      <ValueList rows={rows} label="What protects this result" emphasis={false} />
    </section>
  );
}
