import { ValueList } from "../result/ValueList";
import { planFacts, privacyRows } from "@/lib/result";
import type { PrivacyPlan } from "@/lib/types";

const EXPLAINED = {
  central:
    "Noise is added once, to the exact total, by the party named below: it sees the exact total before adding the noise; every other reader sees only the noisy result.",
  distributed:
    "Each organization adds its share of the noise to its own numbers before sharing them, so nobody ever sees the exact total. Organizations dropping out never weaken the guarantee; each one beyond the threshold adds its share on top.",
} as const;

/** The differential-privacy noise the exchange plans for a computation, for the organizations taking part. */
export function PrivacyPlanSection({ plan }: { plan: PrivacyPlan }) {
  const rows = [{ label: "Epsilon (ε)", value: plan.epsilon }, ...privacyRows(planFacts(plan))];
  return (
    <section aria-labelledby="privacy-plan-title" className="space-y-2">
      <h2 id="privacy-plan-title" className="text-lg font-semibold text-slate-900">
        How noise protects the result
      </h2>
      <p className="text-sm text-slate-700">{EXPLAINED[plan.mode]}</p>
      <ValueList rows={rows} label="How noise protects the result" emphasis={false} />
    </section>
  );
}
