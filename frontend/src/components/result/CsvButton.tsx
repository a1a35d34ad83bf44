"use client";

import type { Table } from "@/lib/csv";
import { downloadCsv } from "@/lib/download";
import { Button } from "../Button";

/** Downloads one table as CSV; the accessible name says which. */
export function CsvButton({ table }: { table: Table }) {
  return (
    <Button variant="secondary" onClick={() => downloadCsv(table)}>
      Download CSV<span className="sr-only"> of {table.title}</span>
    </Button>
  );
}
