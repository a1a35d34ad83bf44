"use client";

import { useState } from "react";
import { SelectField } from "@/components/Field";
import { Loading } from "@/components/Loading";
import { PageHeader } from "@/components/PageHeader";
import { Pagination } from "@/components/Pagination";
import { TextLink } from "@/components/TextLink";
import { formatDateTime, formatNumber } from "@/lib/format";
import { datasets } from "@/lib/hdx";
import { useResource } from "@/lib/hooks";
import { LoadError } from "@/components/Panel";

const SIZE = 20;

export default function DatasetsPage() {
  const [page, setPage] = useState(1);
  const [category, setCategory] = useState("");
  const catalog = useResource(datasets.catalog, "catalog");
  const list = useResource(() => datasets.list(page, SIZE, category || undefined), `${page}:${category}`);

  return (
    <>
      <PageHeader
        title="Datasets"
        description="Your organization's uploads. They stay encrypted on the exchange and are only used in computations your organization accepts."
        actions={<TextLink href="/upload/">Upload data</TextLink>}
      />
      <div className="mb-4 max-w-xs">
        <SelectField
          label="Category"
          value={category}
          onChange={(e) => {
            setCategory(e.target.value);
            setPage(1);
          }}
        >
          <option value="">All categories</option>
          {catalog.data?.map((item) => (
            <option key={item.category} value={item.category}>
              {item.category.replaceAll("_", " ")}
            </option>
          ))}
        </SelectField>
      </div>
      {list.loading && !list.data ? (
        <Loading label="Loading datasets…" />
      ) : list.error ? (
        <LoadError resource={list} />
      ) : list.data && list.data.items.length === 0 ? (
        <p className="rounded-lg border border-slate-200 bg-white p-6 text-slate-700">
          {category ? "No datasets in this category." : "No datasets yet."} <TextLink href="/upload/">Upload a CSV file</TextLink> to add one.
        </p>
      ) : (
        list.data && (
          <>
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white" aria-busy={list.loading}>
              <table className="min-w-full text-left text-sm">
                <caption className="sr-only">Datasets of your organization</caption>
                <thead className="border-b border-slate-300 bg-slate-100 text-slate-700">
                  <tr>
                    <th scope="col" className="px-4 py-3 font-semibold">Name</th>
                    <th scope="col" className="px-4 py-3 font-semibold">Category</th>
                    <th scope="col" className="px-4 py-3 text-right font-semibold">Rows</th>
                    <th scope="col" className="px-4 py-3 text-right font-semibold">Rejected</th>
                    <th scope="col" className="px-4 py-3 font-semibold">Uploaded</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-200">
                  {list.data.items.map((item) => (
                    <tr key={item.id}>
                      <td className="px-4 py-3">
                        <TextLink href={`/datasets/view/?id=${encodeURIComponent(item.id)}`}>{item.name}</TextLink>
                        <span className="block text-xs text-slate-600">{item.original_filename}</span>
                      </td>
                      <td className="px-4 py-3">{item.category.replaceAll("_", " ")}</td>
                      <td className="px-4 py-3 text-right tabular-nums">{formatNumber(item.rows)}</td>
                      <td className="px-4 py-3 text-right tabular-nums">{formatNumber(item.report.rows_rejected)}</td>
                      <td className="px-4 py-3">{formatDateTime(item.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination page={page} size={SIZE} total={list.data.total} onPage={setPage} />
          </>
        )
      )}
    </>
  );
}
