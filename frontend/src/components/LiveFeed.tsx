"use client";

import { computationIdOf, describeEvent } from "@/lib/events";
import { useLive } from "@/lib/liveContext";
import { LiveStatus } from "./LiveStatus";
import { TextLink } from "./TextLink";

const time = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

/**
 * Computation events for the organization as they arrive, newest first. The list is a log region: screen
 * readers announce each new entry politely, without moving focus.
 */
export function LiveFeed({ titles }: { titles: ReadonlyMap<string, string> }) {
  const { feed } = useLive();
  return (
    <section aria-labelledby="live-feed-title" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="live-feed-title" className="text-lg font-semibold text-slate-900">
          Live activity
        </h2>
        <LiveStatus />
      </div>
      <div role="log" aria-live="polite" aria-relevant="additions" aria-labelledby="live-feed-title" className="mt-3">
        {feed.length === 0 ? (
          <p className="text-slate-700">
            Nothing yet. Answers, rounds, dropouts and results of your organization&apos;s computations appear here as they happen.
          </p>
        ) : (
          <ol className="max-h-96 divide-y divide-slate-200 overflow-y-auto">
            {feed.map((event) => {
              const id = computationIdOf(event);
              const sentence = describeEvent(event, id ? titles.get(id) : undefined);
              return (
                <li key={event.id} className="flex flex-col gap-0.5 py-2 sm:flex-row sm:gap-3">
                  <time dateTime={event.at} className="shrink-0 text-sm tabular-nums text-slate-600">
                    {time.format(new Date(event.at))}
                  </time>
                  {id ? (
                    <TextLink href={`/computations/view/?id=${encodeURIComponent(id)}`} className="font-normal">
                      {sentence}
                    </TextLink>
                  ) : (
                    <span>{sentence}</span>
                  )}
                </li>
              );
            })}
          </ol>
        )}
      </div>
    </section>
  );
}
