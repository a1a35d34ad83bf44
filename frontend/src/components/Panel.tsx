import type { ReactNode } from "react";
import type { Resource } from "@/lib/hooks";
import { ErrorAlert } from "./Alert";
import { Button } from "./Button";
import { Loading } from "./Loading";

/** A titled section that shows its own loading and error states around `children(data)`. */
export function Panel<T>({
  title,
  resource,
  children,
}: {
  title: string;
  resource: Resource<T>;
  children: (data: T) => ReactNode;
}) {
  const id = `panel-${title.toLowerCase().replaceAll(/[^a-z]+/g, "-")}`;
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 id={id} className="text-lg font-semibold text-slate-900">
        {title}
      </h2>
      <div className="mt-3">
        {resource.loading && !resource.data ? (
          <Loading />
        ) : resource.error ? (
          <LoadError resource={resource} />
        ) : (
          resource.data !== null && children(resource.data)
        )}
      </div>
    </section>
  );
}

/** A failed load: the server's message and a way to ask again. */
export function LoadError<T>({ resource }: { resource: Resource<T> }) {
  return (
    <div className="space-y-2">
      <ErrorAlert error={resource.error} />
      <Button variant="secondary" onClick={resource.reload}>
        Try again
      </Button>
    </div>
  );
}
