"use client";

import { downloadLabel } from "@/lib/chart";
import type { Table } from "@/lib/csv";
import { downloadCsv } from "@/lib/download";
import { Button } from "../Button";

/** Downloads one table as CSV; the accessible name says which. */
export function CsvButton({ table, subject = "table" }: { table: Table; subject?: "table" | "released values" }) {
  const label = downloadLabel(subject, table.title);
  return (
    <Button variant="secondary" onClick={() => downloadCsv(table)}>
      {label.text}
      {label.detail && <span className="sr-only">{label.detail}</span>}
    </Button>
  );
}
