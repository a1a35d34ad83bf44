"use client";

import { useEffect } from "react";
import { Alert } from "../Alert";
import { ReviewActions } from "../computation/ReviewActions";
import { Loading } from "../Loading";
import { LoadError } from "../Panel";
import { formatDateTime } from "@/lib/format";
import { computations } from "@/lib/hdx";
import { useResource } from "@/lib/hooks";
import type { Computation, ComputationResult, Me } from "@/lib/types";
import { Protection } from "./Protection";
import { ResultValues } from "./ResultValues";

interface Props {
  computation: Computation;
  resultId: string;
  user: Me;
  /** Told about the result whenever it loads, for the page's timeline. */
  onResult: (result: ComputationResult) => void;
  /** After this user released or withheld the result: the computation's status may have changed. */
  onDecided: () => void;
}

export function ResultSection({ computation, resultId, user, onResult, onDecided }: Props) {
  const result = useResource(() => computations.result(resultId), `${resultId}:${computation.status}`);
  const data = result.data;
  useEffect(() => {
    if (data) onResult(data);
  }, [data, onResult]);

  const reviewing =
    data?.status === "awaiting_release" &&
    user.role === "org_admin" &&
    user.organization !== null &&
    data.waiting_for.includes(user.organization.name);

  return (
    <section aria-labelledby="result-title" className="space-y-4">
      <h2 id="result-title" className="text-lg font-semibold text-slate-900">Result</h2>
      {result.loading && !data ? (
        <Loading label="Loading the result…" />
      ) : !data ? (
        <LoadError resource={result} />
      ) : (
        <>
          {data.status === "withheld" ? (
            <Alert tone="warning" title="The result was withheld">
              {data.withheld_reason ?? "An organization reviewing outputs withheld it."}
            </Alert>
          ) : data.status === "awaiting_release" ? (
            <>
              <Alert tone="info" title="The result waits for output review">
                <p>Waiting for release by {data.waiting_for.join(", ")}.</p>
                <p>
                  {data.waiting_for.length === 1
                    ? "This organization reviews every result that uses its data before any organization sees it. The values appear here once it has released the result."
                    : "These organizations review every result that uses their data before any organization sees it. The values appear here once every one of them has released the result."}
                </p>
              </Alert>
              {data.review_copy && data.values && (
                <div className="space-y-3 rounded-lg border-2 border-dashed border-amber-400 bg-amber-50/40 p-4">
                  <p className="text-sm font-semibold text-amber-900">
                    Review copy: not released. Only administrators of an organization reviewing this result see these
                    values; nobody else does until every reviewing organization has released it.
                  </p>
                  <ResultValues values={data.values} analysis={computation.analysis} k={computation.k} params={computation.params} />
                </div>
              )}
              {reviewing && (
                <ReviewActions
                  computationId={computation.id}
                  onDecided={() => {
                    result.reload();
                    onDecided();
                  }}
                />
              )}
            </>
          ) : (
            data.values && (
              <>
                <ResultValues values={data.values} analysis={computation.analysis} k={computation.k} params={computation.params} />
                <p className="text-sm text-slate-700">Released {formatDateTime(data.released_at)}.</p>
              </>
            )
          )}
          <Protection protection={data.protection} values={data.values} />
        </>
      )}
    </section>
  );
}
