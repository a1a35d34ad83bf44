"use client";

import { useState, type FormEvent } from "react";
import { Alert, ErrorAlert } from "@/components/Alert";
import { Button } from "@/components/Button";
import { CatalogColumns } from "@/components/CatalogColumns";
import { DropZone } from "@/components/DropZone";
import { SelectField, TextField } from "@/components/Field";
import { Loading } from "@/components/Loading";
import { PageHeader } from "@/components/PageHeader";
import { TextLink } from "@/components/TextLink";
import { ValidationReport } from "@/components/ValidationReport";
import type { ApiError } from "@/lib/api";
import { datasets } from "@/lib/hdx";
import { useAction, useResource } from "@/lib/hooks";
import { uploadBlocker } from "@/lib/upload";
import type { Dataset, ValidationReport as Report } from "@/lib/types";

/** A refused upload still comes with its validation report, so staff can see which rows to fix. */
function refusedReport(error: ApiError | null): Report | null {
  const detail = error?.detail;
  if (detail && typeof detail === "object" && "report" in detail) return detail.report as Report;
  return null;
}

export default function UploadPage() {
  const catalog = useResource(datasets.catalog, "catalog");
  const [file, setFile] = useState<File | null>(null);
  const [category, setCategory] = useState("");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [missingFile, setMissingFile] = useState(false);
  const [stored, setStored] = useState<Dataset | null>(null);
  const upload = useAction(datasets.upload);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setMissingFile(!file);
    if (!file) return;
    const dataset = await upload.run(file, category, name.trim(), description.trim());
    if (dataset) setStored(dataset);
  };

  const startOver = () => {
    setStored(null);
    setFile(null);
    setName("");
    setDescription("");
  };

  if (stored) {
    return (
      <>
        <PageHeader title="Upload complete" />
        <div className="space-y-6">
          <Alert tone="success" title={`“${stored.name}” is stored`}>
            {stored.rows.toLocaleString()} rows were accepted, pseudonymized and encrypted.
          </Alert>
          <ValidationReport report={stored.report} />
          <p className="flex flex-wrap gap-4">
            <TextLink href={`/datasets/view/?id=${encodeURIComponent(stored.id)}`}>Open the dataset</TextLink>
            <Button variant="secondary" onClick={startOver}>
              Upload another file
            </Button>
          </p>
        </div>
      </>
    );
  }

  const chosen = catalog.data?.find((item) => item.category === category);
  const report = refusedReport(upload.error);
  const blocker = uploadBlocker(category, file);
  return (
    <>
      <PageHeader
        title="Upload data"
        description="Upload a CSV file exported from your system. Each row is checked against the category's columns and plausible ranges; patient identifiers are replaced by pseudonyms before anything is stored."
      />
      {catalog.loading ? (
        <Loading label="Loading the data categories…" />
      ) : catalog.error ? (
        <ErrorAlert error={catalog.error} />
      ) : (
        <form onSubmit={submit} className="max-w-3xl space-y-5" noValidate>
          <SelectField label="Category" required value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="">Choose what the file contains</option>
            {catalog.data?.map((item) => (
              <option key={item.category} value={item.category}>
                {item.category.replaceAll("_", " ")}
              </option>
            ))}
          </SelectField>
          {chosen && <CatalogColumns category={chosen} />}
          <DropZone
            file={file}
            onFile={(next) => {
              setFile(next);
              setMissingFile(false);
              upload.clearError();
            }}
            error={missingFile ? "Choose a CSV file to upload." : undefined}
          />
          <TextField label="Name" hint="Shown in the dataset list. The file name is used when left empty." value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
          <TextField label="Description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={1000} />
          <ErrorAlert error={upload.error} />
          <Button
            type="submit"
            busy={upload.pending}
            disabled={blocker !== null}
            aria-describedby={blocker ? "upload-blocker" : undefined}
          >
            {upload.pending ? "Uploading and checking…" : "Upload and check"}
          </Button>
          {blocker && !upload.pending && (
            <p id="upload-blocker" className="text-sm text-slate-700">
              {blocker}
            </p>
          )}
        </form>
      )}
      {report && (
        <section aria-labelledby="refused-title" className="mt-8 max-w-5xl">
          <h2 id="refused-title" className="mb-4 text-lg font-semibold text-slate-900">
            Validation report of the refused file
          </h2>
          <ValidationReport report={report} />
        </section>
      )}
    </>
  );
}
