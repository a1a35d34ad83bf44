"use client";

import type { Cell } from "@/lib/csv";
import { formatNumber, formatPValue, formatStat } from "@/lib/format";
import {
  crosstabOf,
  crosstabTable,
  histogramOf,
  histogramTable,
  matricesOf,
  matrixTable,
  meansTable,
  regressionOf,
  regressionTable,
  released,
  resultRows,
  summaryRows,
  summaryTable,
  survivalOf,
  survivalTable,
  type Released,
  type ResultRow,
} from "@/lib/result";
import { HistogramChart } from "../HistogramChart";
import { CsvButton } from "./CsvButton";
import { DataTable, type CellFormat } from "./DataTable";
import { SurvivalChart } from "./SurvivalChart";
import { ValueList } from "./ValueList";

interface Props {
  values: Record<string, unknown>;
  analysis: string;
  k: number;
  params: Record<string, unknown>;
}

/** A released result as lists, charts and tables, whichever the analysis produced. */
export function ResultValues({ values, analysis, k, params }: Props) {
  const result = released(values, analysis);
  const survival = survivalOf(result);
  const regression = regressionOf(result);
  const crosstab = crosstabOf(result);
  const matrices = matricesOf(result);
  const histogram = histogramOf(values);
  const special = survival ?? regression ?? crosstab ?? matrices;
  // A regression's record count is part of its model fit list.
  const summary = regression ? [] : special ? countOnly(result) : summaryRows(result);
  const rows = summary.length > 0 || special || histogram ? summary : fallbackRows(values);

  return (
    <div className="space-y-4">
      {rows.length > 0 && <Summary rows={rows} csv={!special} />}
      {histogram && <HistogramBlock values={values} k={k} />}
      {survival && (
        <div className="space-y-3">
          <div className="rounded-lg border border-slate-200 bg-white p-4">
            <SurvivalChart survival={survival} start={lowerBound(params.time)} />
          </div>
          <DataTable table={survivalTable(survival)} format={survivalFormat} />
        </div>
      )}
      {regression && (
        <>
          <DataTable table={regressionTable(regression)} format={regressionFormat} />
          {regression.fit.length > 0 && <ValueList rows={regression.fit} label="Model fit" />}
        </>
      )}
      {crosstab && (
        <DataTable
          table={crosstabTable(crosstab, k)}
          format={crosstabFormat(k)}
          note={`Counts of records by ${crosstab.row} (rows) and ${crosstab.column} (columns); “<${k}” marks a withheld cell.`}
        />
      )}
      {matrices && (
        <>
          <DataTable table={meansTable(matrices)} />
          <DataTable table={matrixTable("Covariance", matrices.variables, matrices.covariance)} />
          <DataTable table={matrixTable("Correlation", matrices.variables, matrices.correlation)} format={correlationFormat} />
        </>
      )}
      {result.notes.length > 0 && (
        <ul className="list-inside list-disc text-sm text-slate-700" aria-label="Notes on this result">
          {result.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Summary({ rows, csv }: { rows: ResultRow[]; csv: boolean }) {
  return (
    <div className="space-y-2">
      <ValueList rows={rows} label="Released values" />
      {csv && <CsvButton table={summaryTable(rows)} subject="released values" />}
    </div>
  );
}

function HistogramBlock({ values, k }: { values: Record<string, unknown>; k: number }) {
  const histogram = histogramOf(values);
  const table = histogramTable(values, k);
  if (!histogram) return null;
  const variable = released(values).values.variable;
  return (
    <div className="space-y-3 rounded-lg border border-slate-200 bg-white p-5">
      <HistogramChart histogram={histogram} variable={String(variable ?? "the variable")} k={k} />
      {table && <CsvButton table={table} />}
      <table className="min-w-full text-left text-sm">
        <caption className="sr-only">Records per bin</caption>
        <thead className="border-b border-slate-300 text-slate-700">
          <tr>
            <th scope="col" className="py-2 pr-4 font-semibold">Bin</th>
            <th scope="col" className="py-2 text-right font-semibold">Records</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200">
          {histogram.labels.map((label, index) => {
            const count = histogram.counts[index] ?? null;
            return (
              <tr key={label}>
                <td className="py-2 pr-4">{label}</td>
                <td className="py-2 text-right tabular-nums">{count === null ? `Fewer than ${k} (withheld)` : formatNumber(count)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function countOnly(result: Released): ResultRow[] {
  return result.n === null ? [] : [{ label: "Records (n)", value: result.n }];
}

/** An analysis this page has no special view for: every released number by its name. */
function fallbackRows(values: Record<string, unknown>): ResultRow[] {
  return resultRows(values).filter((row) => row.label !== "Values clipped to the bounds");
}

function lowerBound(variable: unknown): number | null {
  if (variable && typeof variable === "object" && "lo" in variable && typeof variable.lo === "number") return variable.lo;
  return null;
}

const text = (cell: Cell) => (cell === null || cell === undefined ? "—" : String(cell));

const survivalFormat: CellFormat = (cell, column) => {
  if (typeof cell !== "number") return text(cell);
  return column >= 3 ? cell.toFixed(3) : formatStat(cell);
};

const regressionFormat: CellFormat = (cell, column) => {
  if (typeof cell !== "number") return text(cell);
  return column === 4 ? formatPValue(cell) : formatStat(cell);
};

const correlationFormat: CellFormat = (cell) => (typeof cell === "number" ? cell.toFixed(3) : text(cell));

function crosstabFormat(k: number): CellFormat {
  const format: CellFormat = (cell, column) => {
    if (column > 0 && typeof cell === "string" && cell.startsWith("<")) {
      return <abbr title={`fewer than ${k} records: withheld`}>{cell}</abbr>;
    }
    return typeof cell === "number" ? formatNumber(cell) : text(cell);
  };
  return format;
}
