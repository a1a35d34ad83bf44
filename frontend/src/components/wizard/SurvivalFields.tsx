import { SelectField, TextField } from "../Field";
import type { CatalogColumn } from "@/lib/types";
import type { WizardErrors, WizardValues } from "@/lib/wizard";

interface Props {
  values: WizardValues;
  errors: WizardErrors;
  /** Yes/no (0/1) catalog columns. */
  columns: CatalogColumn[];
  set: <K extends keyof WizardValues>(field: K, value: WizardValues[K]) => void;
}

/** A survival curve's event column and confidence level; its time and bins are the form's variable and bins. */
export function SurvivalFields({ values, errors, columns, set }: Props) {
  const chosen = columns.find((item) => item.name === values.event);
  return (
    <>
      <SelectField
        label="Event"
        value={values.event}
        required
        onChange={(event) => set("event", event.target.value)}
        hint={
          chosen
            ? `${chosen.label}: 1 when the event happened at the recorded time, 0 when the person was last seen then without it.`
            : "A yes/no (0/1) column of the data catalog: 1 when the event happened at the recorded time, 0 when the person was last seen then without it."
        }
        error={errors.event}
      >
        <option value="" disabled>
          Choose an event column…
        </option>
        {columns.map((item) => (
          <option key={item.name} value={item.name}>
            {item.label} ({item.name})
          </option>
        ))}
      </SelectField>
      <TextField
        label="Confidence level"
        inputMode="decimal"
        value={values.confidence}
        required
        onChange={(event) => set("confidence", event.target.value)}
        hint="The confidence band drawn around the curve, between 0 and 1: 0.95 for a 95% band."
        error={errors.confidence}
      />
    </>
  );
}
