import type { ReactNode } from "react";
import type { ApiError } from "@/lib/api";

const tones = {
  error: "border-red-300 bg-red-50 text-red-900",
  success: "border-green-300 bg-green-50 text-green-900",
  info: "border-blue-300 bg-blue-50 text-blue-900",
  warning: "border-amber-300 bg-amber-50 text-amber-900",
} as const;

export function Alert({ tone, title, children }: { tone: keyof typeof tones; title?: string; children: ReactNode }) {
  return (
    <div role={tone === "error" ? "alert" : "status"} className={`rounded-md border px-4 py-3 text-sm ${tones[tone]}`}>
      {title && <p className="font-semibold">{title}</p>}
      <div>{children}</div>
    </div>
  );
}

/** Shows an error from the exchange; field errors that a form shows beside its inputs are left out. */
export function ErrorAlert({ error, shownFields = [] }: { error: ApiError | null; shownFields?: string[] }) {
  if (!error) return null;
  const others = error.fieldErrors.filter((item) => !shownFields.includes(item.field));
  if (error.fieldErrors.length > 0 && others.length === 0) {
    return <Alert tone="error">Please correct the highlighted fields.</Alert>;
  }
  return (
    <Alert tone="error">
      {others.length > 0 ? (
        <ul className="list-inside list-disc">
          {others.map((item) => (
            <li key={`${item.field}:${item.message}`}>
              {item.field.replaceAll("_", " ")}: {item.message}
            </li>
          ))}
        </ul>
      ) : (
        error.message
      )}
    </Alert>
  );
}

/** Every message the exchange gave for one of `fields`, joined; undefined when there is none. */
export function fieldError(error: ApiError | null, ...fields: string[]): string | undefined {
  const messages = (error?.fieldErrors ?? []).filter((item) => fields.includes(item.field)).map((item) => item.message);
  return messages.length > 0 ? messages.join("; ") : undefined;
}
