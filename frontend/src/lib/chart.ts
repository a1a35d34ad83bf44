/** What the result charts and their download buttons show, apart from drawing. */

import type { Histogram } from "./result";

export interface HistogramBars {
  /** Released counts; null where the bin was withheld. */
  released: (number | null)[];
  /** For withheld bins, the height of the marker bar (k, the bound the count stays under); null elsewhere. */
  withheld: (number | null)[];
  /** The legend and tooltip name of withheld bins. */
  withheldLabel: string;
}

/**
 * Splits a histogram's bins into released counts and withheld ones, so a withheld bin is drawn as a
 * distinct marker up to k rather than as an empty bar that reads like a real 0.
 */
export function histogramBars(histogram: Histogram, k: number): HistogramBars {
  return {
    released: histogram.counts.map((count) => count),
    withheld: histogram.counts.map((count) => (count === null ? k : null)),
    withheldLabel: `Withheld: fewer than ${k} records (<${k})`,
  };
}

export interface DownloadLabel {
  /** The button's text. */
  text: string;
  /** Words only screen readers hear, naming the table; empty when the text says it all. */
  detail: string;
}

/**
 * The name of a CSV download button: "Download the released values as CSV", or "Download the table as
 * CSV" followed (for screen readers) by the table's title, so no two buttons on a result share a name.
 */
export function downloadLabel(subject: "table" | "released values", title: string): DownloadLabel {
  if (subject === "released values") return { text: "Download the released values as CSV", detail: "" };
  return { text: "Download the table as CSV", detail: `: ${title}` };
}
