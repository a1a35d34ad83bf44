"use client";

import { BarElement, CategoryScale, Chart, LinearScale, Tooltip } from "chart.js";
import { Bar } from "react-chartjs-2";
import type { ProblemCount } from "@/lib/types";

Chart.register(BarElement, CategoryScale, LinearScale, Tooltip);

/** Rejected rows per column and reason; the table beside it carries the same numbers for screen readers. */
export function ProblemChart({ counts }: { counts: ProblemCount[] }) {
  const top = [...counts].sort((a, b) => b.rows - a.rows).slice(0, 10);
  return (
    <div style={{ height: 48 + top.length * 40 }} role="img" aria-label="Bar chart of rejected rows per column and reason">
      <Bar
        data={{
          labels: top.map((item) => `${item.column}: ${item.reason}`),
          datasets: [{ label: "Rejected rows", data: top.map((item) => item.rows), backgroundColor: "#b91c1c" }],
        }}
        options={{
          indexAxis: "y",
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: { autoSkip: false, callback: shorten } } },
        }}
      />
    </div>
  );
}

function shorten(this: { getLabelForValue: (value: number) => string }, value: string | number): string {
  const label = this.getLabelForValue(Number(value));
  return label.length > 40 ? `${label.slice(0, 39)}…` : label;
}
