/**
 * Plain-language wording for the exchange's 422 validation entries. The exchange passes on its schema
 * checker's messages ("String should have at least 3 characters"); custom checks already speak plainly
 * and are kept as written.
 */

export interface ValidationEntry {
  field: string;
  message: string;
  /** The checker's error type and limits, when the exchange sends them. */
  type?: string;
  ctx?: Record<string, unknown>;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function digitsCode(field: string, digits: number): string {
  const last = field.split(".").pop() ?? field;
  if (last === "code") return `Enter the ${digits}-digit code from the e-mail`;
  if (last === "totp_code") return `Enter the ${digits}-digit code from your authenticator app`;
  return `Enter exactly ${digits} digits`;
}

function choices(list: string): string {
  const options = [...list.matchAll(/'([^']*)'/g)].map((match) => match[1]);
  return options.length > 0 ? `Choose one of: ${options.join(", ")}` : "Choose one of the offered values";
}

type Rule = [RegExp, (match: RegExpMatchArray, field: string) => string];

const RULES: Rule[] = [
  [/^String should match pattern '\^\\d\{(\d+)\}\$'$/, (m, field) => digitsCode(field, Number(m[1]))],
  [/^String should match pattern /, () => "This is not in the expected format"],
  [/^String should have at least (\d+) characters?$/, (m) => `Must be at least ${plural(Number(m[1]), "character", "characters")}`],
  [/^String should have at most (\d+) characters?$/, (m) => `Must be at most ${plural(Number(m[1]), "character", "characters")}`],
  [/^(?:List|Tuple|Set|Dictionary|Value) should have at least (\d+) items?\b.*$/, (m) => `Choose at least ${m[1]}`],
  [/^(?:List|Tuple|Set|Dictionary|Value) should have at most (\d+) items?\b.*$/, (m) => `Choose at most ${m[1]}`],
  [/^Input should be greater than or equal to (\S+)$/, (m) => `Must be at least ${m[1]}`],
  [/^Input should be greater than (\S+)$/, (m) => `Must be more than ${m[1]}`],
  [/^Input should be less than or equal to (\S+)$/, (m) => `Must be at most ${m[1]}`],
  [/^Input should be less than (\S+)$/, (m) => `Must be less than ${m[1]}`],
  [/^Input should be a multiple of (\S+)$/, (m) => `Must be a multiple of ${m[1]}`],
  [/^Field required$/, () => "This is required"],
  [/^Input should be a valid integer\b/, () => "Enter a whole number"],
  [/^Input should be a finite number$/, () => "Enter a number"],
  [/^Input should be a valid number\b/, () => "Enter a number"],
  [/^Input should be a valid boolean\b/, () => "Choose yes or no"],
  [/^Input should be a valid UUID\b/, () => "This is not a valid identifier"],
  [/^Input should be a valid (?:datetime|date)\b/, () => "Enter a valid date"],
  [/^Input should be a valid (?:string|list|dictionary|array)\b/, () => "This value has the wrong type"],
  [/^Input should be (?:'[^']*'(?:, | or )?)+$/, (m) => choices(m[0])],
  [/^value is not a valid email address\b/i, () => "Enter a valid e-mail address"],
  [/^Extra inputs are not permitted$/, () => "This field is not accepted"],
  [/^Value error, /, (m) => m.input!.slice(m[0].length)],
  [/^Assertion failed, /, (m) => m.input!.slice(m[0].length)],
];

/** The limit a structured entry names, by its checker type. */
function fromContext(entry: ValidationEntry): string | null {
  const ctx = entry.ctx ?? {};
  const limit = (key: string) => (ctx[key] === undefined ? null : String(ctx[key]));
  switch (entry.type) {
    case "string_too_short":
      return limit("min_length") && `Must be at least ${plural(Number(ctx.min_length), "character", "characters")}`;
    case "string_too_long":
      return limit("max_length") && `Must be at most ${plural(Number(ctx.max_length), "character", "characters")}`;
    case "greater_than":
      return limit("gt") && `Must be more than ${limit("gt")}`;
    case "greater_than_equal":
      return limit("ge") && `Must be at least ${limit("ge")}`;
    case "less_than":
      return limit("lt") && `Must be less than ${limit("lt")}`;
    case "less_than_equal":
      return limit("le") && `Must be at most ${limit("le")}`;
    case "missing":
      return "This is required";
    default:
      return null;
  }
}

/** One validation entry in plain language; a message the exchange wrote in plain words is kept. */
export function plainValidationMessage(entry: ValidationEntry): string {
  const structured = fromContext(entry);
  if (structured) return structured;
  const message = entry.message.trim();
  for (const [pattern, say] of RULES) {
    const match = message.match(pattern);
    if (match) return say(match, entry.field);
  }
  return message;
}
