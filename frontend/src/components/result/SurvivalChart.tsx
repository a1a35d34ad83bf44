"use client";

import { Chart, Filler, Legend, LinearScale, LineElement, PointElement, Tooltip } from "chart.js";
import { Line } from "react-chartjs-2";
import { survivalCurve, type Survival } from "@/lib/result";

Chart.register(Filler, Legend, LinearScale, LineElement, PointElement, Tooltip);

/** The Kaplan-Meier step curve with its confidence band shaded; the table beside it has the same numbers. */
export function SurvivalChart({ survival, start }: { survival: Survival; start: number | null }) {
  const curve = survivalCurve(survival, start);
  const level = `${Math.round(survival.confidence * 100)}%`;
  return (
    <div
      className="h-80"
      role="img"
      aria-label={`Kaplan-Meier curve: share of people without ${survival.event} by ${survival.time}, with a ${level} confidence band`}
    >
      <Line
        data={{
          datasets: [
            {
              label: `Upper ${level}`,
              data: curve.upper,
              stepped: "before",
              borderColor: "rgba(29, 78, 216, 0.35)",
              borderWidth: 1,
              pointRadius: 0,
              fill: false,
            },
            {
              label: `${level} confidence band`,
              data: curve.lower,
              stepped: "before",
              borderColor: "rgba(29, 78, 216, 0.35)",
              borderWidth: 1,
              backgroundColor: "rgba(29, 78, 216, 0.15)",
              pointRadius: 0,
              fill: "-1",
            },
            {
              label: "Survival",
              data: curve.survival,
              stepped: "before",
              borderColor: "#1d4ed8",
              borderWidth: 2,
              pointRadius: 0,
              fill: false,
            },
          ],
        }}
        options={{
          maintainAspectRatio: false,
          parsing: false,
          interaction: { mode: "nearest", intersect: false, axis: "x" },
          plugins: {
            legend: { labels: { filter: (item) => !item.text.startsWith("Upper") } },
          },
          scales: {
            x: { type: "linear", min: curve.survival[0]?.x, title: { display: true, text: survival.time } },
            y: { min: 0, max: 1, title: { display: true, text: "Survival" } },
          },
        }}
      />
    </div>
  );
}
