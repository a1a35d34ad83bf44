"use client";

import { BarElement, CategoryScale, Chart, LinearScale, Tooltip } from "chart.js";
import { Bar } from "react-chartjs-2";
import type { Histogram } from "@/lib/result";

Chart.register(BarElement, CategoryScale, LinearScale, Tooltip);

/** Records per bin; the table beside it carries the same numbers for screen readers. */
export function HistogramChart({ histogram, variable }: { histogram: Histogram; variable: string }) {
  return (
    <div className="h-72" role="img" aria-label={`Bar chart of records per bin of ${variable}`}>
      <Bar
        data={{
          labels: histogram.labels,
          datasets: [{ label: "Records", data: histogram.counts.map((count) => count ?? 0), backgroundColor: "#1d4ed8" }],
        }}
        options={{
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        }}
      />
    </div>
  );
}
