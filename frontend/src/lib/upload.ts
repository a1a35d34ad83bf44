/** Why the upload button cannot be used yet, or null when the form is ready. */
export function uploadBlocker(category: string, file: File | null): string | null {
  if (!category && !file) return "Choose a category and a CSV file to upload and check.";
  if (!category) return "Choose the category of the file to upload and check it.";
  if (!file) return "Choose a CSV file to upload and check.";
  return null;
}
