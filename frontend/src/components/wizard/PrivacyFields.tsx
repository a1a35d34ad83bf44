import { useId } from "react";
import { TextField } from "../Field";
import { MAX_EPSILON, NO_DP_FOR_ITERATIVE, PRIVACY_CHOICES, isIterative, type PrivacyChoice, type WizardErrors, type WizardValues } from "@/lib/wizard";

interface Props {
  values: WizardValues;
  errors: WizardErrors;
  set: <K extends keyof WizardValues>(field: K, value: WizardValues[K]) => void;
}

/** Whether the result carries differential-privacy noise, where the noise comes from, and its epsilon and delta. */
export function PrivacyFields({ values, errors, set }: Props) {
  const id = useId();
  const n = values.participants.length + 1;
  const threshold = Number(values.threshold);
  const iterative = isIterative(values.analysis);
  const noisy = values.privacy !== "none";
  return (
    <fieldset className="space-y-4 rounded-lg border border-slate-200 bg-white p-5">
      <legend className="px-1 text-lg font-semibold text-slate-900">4. Differential privacy</legend>
      <fieldset aria-describedby={errors.privacy ? `${id}-error` : iterative ? `${id}-iterative` : undefined}>
        <legend className="text-sm font-medium text-slate-800">Noise on the result</legend>
        {iterative && (
          <p id={`${id}-iterative`} className="mt-1 text-sm text-slate-700">
            {NO_DP_FOR_ITERATIVE}
          </p>
        )}
        <div className="mt-2 space-y-3">
          {PRIVACY_CHOICES.map((choice) => {
            const disabled = iterative && choice.value !== "none";
            return (
              <div key={choice.value} className="flex items-start gap-2">
                <input
                  id={`${id}-${choice.value}`}
                  type="radio"
                  name={`${id}-privacy`}
                  className="mt-1 h-4 w-4 border-slate-500"
                  value={choice.value}
                  checked={values.privacy === choice.value}
                  disabled={disabled}
                  aria-describedby={`${id}-${choice.value}-help`}
                  onChange={() => set("privacy", choice.value as PrivacyChoice)}
                />
                <div>
                  <label htmlFor={`${id}-${choice.value}`} className={`text-sm font-medium ${disabled ? "text-slate-500" : "text-slate-900"}`}>
                    {choice.label}
                  </label>
                  <p id={`${id}-${choice.value}-help`} className="text-sm text-slate-600">
                    {choice.help(values.protocol, threshold, n)}
                  </p>
                </div>
              </div>
            );
          })}
        </div>
        {errors.privacy && (
          <p id={`${id}-error`} className="mt-2 text-sm font-medium text-red-700">
            {errors.privacy}
          </p>
        )}
      </fieldset>
      {noisy && (
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Differential privacy epsilon (ε)"
            inputMode="decimal"
            value={values.epsilon}
            required
            onChange={(event) => set("epsilon", event.target.value)}
            hint={`How much one patient's record may change what the result reveals: smaller means more privacy and more noise. Greater than 0, at most ${MAX_EPSILON}. Every contributing dataset's privacy budget is charged ε when the result is released.`}
            error={errors.epsilon}
          />
          <TextField
            label={values.privacy === "distributed" ? "Delta (δ)" : "Delta (δ, optional)"}
            inputMode="decimal"
            value={values.delta}
            required={values.privacy === "distributed"}
            onChange={(event) => set("delta", event.target.value)}
            hint={`The small chance that the ε guarantee fails, greater than 0 and less than 1; keep it far below one over the number of records, for example 1e-6.${
              values.privacy === "central" ? " With δ the noise is Gaussian; without it, Laplace." : ""
            }`}
            error={errors.delta}
          />
        </div>
      )}
    </fieldset>
  );
}
