import { Alert, ErrorAlert } from "@/components/Alert";
import type { ApiError, FieldError } from "@/lib/api";

/**
 * The message area of an account form, focused after each request (see useFocusOutcome): the success
 * message, or the exchange's error unless it is already shown beside the form's `fields` (`placed`
 * holds the server's messages the form put beside them).
 */
export function FormOutcome({
  error,
  placed,
  fields,
  success,
}: {
  error: ApiError | null;
  placed: FieldError[];
  fields: string[];
  success?: string;
}) {
  const placedWhole = error !== null && error.fieldErrors.length === 0 && placed.some((item) => fields.includes(item.field));
  return (
    <div data-outcome tabIndex={-1} className="outline-none empty:hidden">
      {success ? (
        <Alert tone="success">{success}</Alert>
      ) : placedWhole ? (
        <Alert tone="error">Please correct the highlighted fields.</Alert>
      ) : (
        <ErrorAlert error={error} shownFields={fields} />
      )}
    </div>
  );
}
