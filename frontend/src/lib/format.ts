const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDateTime(value: string | null): string {
  return value ? dateTime.format(new Date(value)) : "—";
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function formatNumber(value: number | string | null): string {
  if (value === null) return "—";
  if (typeof value === "string") return value;
  return Number.isInteger(value) ? value.toLocaleString() : value.toLocaleString(undefined, { maximumFractionDigits: 3 });
}

export function humanize(value: string): string {
  const text = value.replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A statistic for display: four decimals, or scientific notation for very small or very large values. */
export function formatStat(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "—";
  const size = Math.abs(value);
  if (size !== 0 && (size < 0.0001 || size >= 1e7)) return value.toExponential(3);
  return value.toLocaleString(undefined, { maximumFractionDigits: 4 });
}

/** A p-value as journals print it: three decimals, "< 0.001" below that. */
export function formatPValue(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "—";
  return value < 0.001 ? "< 0.001" : value.toFixed(3);
}

/** 1st, 2nd, 3rd, 4th, 11th, 21st… */
export function ordinal(value: number): string {
  const tens = value % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[value % 10] ?? "th";
  return `${value}${suffix}`;
}

/** A small probability such as delta, as people write it: 1e-6, 0.001. */
export function formatProbability(value: number): string {
  return value !== 0 && Math.abs(value) < 1e-4 ? value.toExponential() : String(value);
}

/** UCUM units as people read them; units not listed are already readable ("kg", "mg/dL", "%"). */
const UNIT_NAMES: Record<string, string> = {
  a: "years",
  mo: "months",
  wk: "weeks",
  d: "days",
  h: "hours",
  min: "minutes",
  "/min": "per minute",
  Cel: "°C",
  "mm[Hg]": "mmHg",
  "kg/m2": "kg/m²",
  m2: "m²",
  "10*3/uL": "×10³/µL",
  "10*9/L": "×10⁹/L",
  "10*12/L": "×10¹²/L",
  "[in_i]": "inches",
  "[lb_av]": "pounds",
  "[degF]": "°F",
  uL: "µL",
  ug: "µg",
  umol: "µmol",
  "umol/L": "µmol/L",
  "ug/L": "µg/L",
};

export function displayUnit(unit: string | null | undefined): string | null {
  if (!unit) return null;
  return UNIT_NAMES[unit] ?? unit;
}
