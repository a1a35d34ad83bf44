import { describe, expect, it } from "vitest";
import { uploadBlocker } from "@/lib/upload";

describe("uploadBlocker", () => {
  const file = new File(["patient_id,age\n1,40\n"], "vitals.csv", { type: "text/csv" });

  it("says what is missing before a file can be uploaded", () => {
    expect(uploadBlocker("", null)).toBe("Choose a category and a CSV file to upload and check.");
    expect(uploadBlocker("vitals", null)).toBe("Choose a CSV file to upload and check.");
    expect(uploadBlocker("", file)).toBe("Choose the category of the file to upload and check it.");
  });

  it("has nothing to say once both are chosen", () => {
    expect(uploadBlocker("vitals", file)).toBeNull();
  });
});
