"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState, type ReactNode } from "react";
import { Alert, ErrorAlert } from "@/components/Alert";
import { Button } from "@/components/Button";
import { ColumnProfileTable } from "@/components/ColumnProfileTable";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { Loading } from "@/components/Loading";
import { PageHeader } from "@/components/PageHeader";
import { PrivacyLedger } from "@/components/PrivacyLedger";
import { TextLink } from "@/components/TextLink";
import { ValidationReport } from "@/components/ValidationReport";
import { formatBytes, formatDateTime, formatNumber } from "@/lib/format";
import { datasets } from "@/lib/hdx";
import { useAction, useResource } from "@/lib/hooks";
import { useSession } from "@/lib/session";
import type { DatasetDetail } from "@/lib/types";

export default function DatasetPage() {
  return (
    <Suspense fallback={<Loading />}>
      <DatasetFromQuery />
    </Suspense>
  );
}

function DatasetFromQuery() {
  const id = useSearchParams().get("id") ?? "";
  const dataset = useResource(() => datasets.get(id), id);

  if (!id) return <Alert tone="error">No dataset was chosen. <TextLink href="/datasets/">Back to datasets</TextLink></Alert>;
  if (dataset.loading) return <Loading label="Loading the dataset…" />;
  if (dataset.error || !dataset.data) {
    return (
      <div className="space-y-3">
        <ErrorAlert error={dataset.error} />
        <TextLink href="/datasets/">Back to datasets</TextLink>
      </div>
    );
  }
  return <DatasetView dataset={dataset.data} />;
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-sm text-slate-600">{label}</dt>
      <dd className="font-medium text-slate-900">{children}</dd>
    </div>
  );
}

function DatasetView({ dataset }: { dataset: DatasetDetail }) {
  const router = useRouter();
  const { user } = useSession();
  const [confirming, setConfirming] = useState(false);
  const remove = useAction(async (id: string) => {
    await datasets.remove(id);
    return true;
  });
  const download = useAction(async () => {
    const blob = await datasets.exportCsv(dataset.id);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${dataset.name}.csv`;
    link.click();
    URL.revokeObjectURL(link.href);
  });

  const confirmDelete = async () => {
    const removed = await remove.run(dataset.id);
    setConfirming(false);
    if (removed) router.push("/datasets/");
  };

  return (
    <>
      <PageHeader
        title={dataset.name}
        description={dataset.description || undefined}
        actions={
          <>
            <Button variant="secondary" busy={download.pending} onClick={() => void download.run()}>
              Download CSV
            </Button>
            {user?.role === "org_admin" && (
              <Button variant="danger" onClick={() => setConfirming(true)}>
                Delete
              </Button>
            )}
          </>
        }
      />
      <div className="space-y-8">
        <ErrorAlert error={download.error ?? remove.error} />
        <dl className="grid grid-cols-2 gap-4 rounded-lg border border-slate-200 bg-white p-5 md:grid-cols-4">
          <Fact label="Category">{dataset.category.replaceAll("_", " ")}</Fact>
          <Fact label="Rows available to analyses">{formatNumber(dataset.profile.rows)}</Fact>
          <Fact label="Uploaded">{formatDateTime(dataset.created_at)}</Fact>
          <Fact label="File">
            {dataset.original_filename} ({formatBytes(dataset.upload_bytes)})
          </Fact>
        </dl>
        <section aria-labelledby="profile-title" className="space-y-3">
          <h2 id="profile-title" className="text-lg font-semibold text-slate-900">Column profile</h2>
          <p className="text-sm text-slate-700">Patients who opted out are not counted. Identifiers are stored only as pseudonyms.</p>
          <ColumnProfileTable columns={dataset.profile.columns} />
        </section>
        <section aria-labelledby="report-title" className="space-y-3">
          <h2 id="report-title" className="text-lg font-semibold text-slate-900">Validation report</h2>
          <ValidationReport report={dataset.report} />
        </section>
        <section aria-labelledby="budget-title" className="space-y-3">
          <h2 id="budget-title" className="text-lg font-semibold text-slate-900">Privacy budget</h2>
          <p className="text-sm text-slate-700">
            Each differentially private result that uses this dataset spends part of its ε; when nothing is left, computations
            that need it are refused.
          </p>
          <PrivacyLedger datasetId={dataset.id} />
        </section>
      </div>
      <ConfirmDialog
        open={confirming}
        title="Delete this dataset?"
        confirmLabel="Delete permanently"
        busy={remove.pending}
        onConfirm={() => void confirmDelete()}
        onCancel={() => setConfirming(false)}
      >
        <p>
          “{dataset.name}” will be destroyed together with its encryption key. It cannot be recovered, and computations
          can no longer use it.
        </p>
      </ConfirmDialog>
    </>
  );
}
