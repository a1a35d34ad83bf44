import { SelectField, TextField } from "../Field";
import type { CatalogColumn } from "@/lib/types";
import { MAX_CATEGORIES, type WizardErrors, type WizardValues } from "@/lib/wizard";

interface Props {
  values: WizardValues;
  errors: WizardErrors;
  /** Categorical catalog columns. */
  columns: CatalogColumn[];
  set: <K extends keyof WizardValues>(field: K, value: WizardValues[K]) => void;
  chooseColumn: (name: string) => void;
}

const CATEGORIES_HINT = `Separated by commas, up to ${MAX_CATEGORIES}; filled in from the data catalog. Records with any other value are left out of the table. Whole numbers are matched as numbers (0, 1 for a yes/no column), anything else as text.`;

/** A cross-tabulation's categories of the row variable, its column variable and that variable's categories. */
export function CrosstabFields({ values, errors, columns, set, chooseColumn }: Props) {
  const chosen = columns.find((item) => item.name === values.column);
  return (
    <>
      <TextField
        label="Row categories"
        value={values.rowCategories}
        required
        onChange={(event) => set("rowCategories", event.target.value)}
        hint={CATEGORIES_HINT}
        error={errors.rowCategories}
      />
      <SelectField
        label="Column variable"
        value={values.column}
        required
        onChange={(event) => chooseColumn(event.target.value)}
        hint={chosen ? chosen.label : "A categorical or yes/no column of the data catalog, other than the row variable."}
        error={errors.column}
      >
        <option value="" disabled>
          Choose a column variable…
        </option>
        {columns
          .filter((item) => item.name !== values.variable)
          .map((item) => (
            <option key={item.name} value={item.name}>
              {item.label} ({item.name})
            </option>
          ))}
      </SelectField>
      <TextField
        label="Column categories"
        value={values.columnCategories}
        required
        onChange={(event) => set("columnCategories", event.target.value)}
        hint={CATEGORIES_HINT}
        error={errors.columnCategories}
      />
    </>
  );
}
