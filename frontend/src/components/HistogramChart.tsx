"use client";

import { BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from "chart.js";
import { Bar } from "react-chartjs-2";
import { histogramBars } from "@/lib/chart";
import type { Histogram } from "@/lib/result";

Chart.register(BarElement, CategoryScale, LinearScale, Tooltip, Legend);

const RELEASED = "#1d4ed8";
const WITHHELD = "#64748b";

let hatch: CanvasPattern | null = null;

/** Diagonal stripes for withheld bins, made once on first draw (in the browser only). */
function hatched(context: CanvasRenderingContext2D): CanvasPattern | string {
  if (hatch) return hatch;
  const tile = document.createElement("canvas");
  tile.width = 8;
  tile.height = 8;
  const pen = tile.getContext("2d");
  if (!pen) return WITHHELD;
  pen.strokeStyle = WITHHELD;
  pen.lineWidth = 2;
  pen.beginPath();
  pen.moveTo(0, 8);
  pen.lineTo(8, 0);
  pen.moveTo(-2, 2);
  pen.lineTo(2, -2);
  pen.moveTo(6, 10);
  pen.lineTo(10, 6);
  pen.stroke();
  hatch = context.createPattern(tile, "repeat");
  return hatch ?? WITHHELD;
}

/**
 * Records per bin; withheld bins (fewer than k records) are hatched up to k with their own legend entry,
 * so they never look like a real 0. The table beside it carries the same numbers for screen readers.
 */
export function HistogramChart({ histogram, variable, k }: { histogram: Histogram; variable: string; k: number }) {
  const bars = histogramBars(histogram, k);
  const anyWithheld = bars.withheld.some((value) => value !== null);
  return (
    <div className="h-72" role="img" aria-label={`Bar chart of records per bin of ${variable}`}>
      <Bar
        data={{
          labels: histogram.labels,
          datasets: [
            { label: "Records", data: bars.released, backgroundColor: RELEASED },
            ...(anyWithheld
              ? [
                  {
                    label: bars.withheldLabel,
                    data: bars.withheld,
                    backgroundColor: (context: { chart: { ctx: CanvasRenderingContext2D } }) => hatched(context.chart.ctx),
                    borderColor: WITHHELD,
                    borderWidth: 1,
                  },
                ]
              : []),
          ],
        }}
        options={{
          maintainAspectRatio: false,
          plugins: {
            legend: { display: anyWithheld, position: "bottom" },
            tooltip: {
              callbacks: {
                label: (item) =>
                  item.datasetIndex === 1 ? `Withheld: fewer than ${k} records` : `Records: ${String(item.raw)}`,
              },
            },
          },
          scales: {
            x: { stacked: true, title: { display: true, text: variable } },
            y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Records" } },
          },
        }}
      />
    </div>
  );
}
