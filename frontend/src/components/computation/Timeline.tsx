import type { TimelineEntry } from "@/lib/events";

const moment = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  return (
    <section aria-labelledby="timeline-title" className="space-y-3">
      <h2 id="timeline-title" className="text-lg font-semibold text-slate-900">Timeline</h2>
      <ol className="space-y-2 border-l-2 border-slate-300 pl-4">
        {entries.map((entry, index) => (
          <li key={`${index}:${entry.label}`} className="relative">
            <span className="absolute -left-[1.4rem] top-1.5 h-2.5 w-2.5 rounded-full bg-blue-700" aria-hidden />
            <time dateTime={entry.at} className="block text-sm text-slate-600">
              {moment.format(new Date(entry.at))}
            </time>
            <span className="text-slate-900">{entry.label}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
