"use client";

import { useState, type FormEvent } from "react";
import { Alert, ErrorAlert, fieldError } from "@/components/Alert";
import { Button } from "@/components/Button";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { TextField } from "@/components/Field";
import { Loading } from "@/components/Loading";
import { formatDateTime } from "@/lib/format";
import { organization } from "@/lib/hdx";
import { useAction, useResource } from "@/lib/hooks";
import type { ApiKey, CreatedApiKey } from "@/lib/types";

export function ApiKeysSection() {
  const keys = useResource(organization.apiKeys, "api-keys");
  const [name, setName] = useState("");
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const create = useAction(organization.createApiKey);
  const revoke = useAction(async (id: string) => {
    await organization.revokeApiKey(id);
    keys.reload();
    return true;
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const key = await create.run(name.trim());
    if (key) {
      setCreated(key);
      setName("");
      keys.reload();
    }
  };

  const confirmRevoke = async () => {
    if (revoking) await revoke.run(revoking.id);
    setRevoking(null);
  };

  return (
    <div className="space-y-4">
      <p className="text-slate-700">
        Party agents run next to your data and use an API key to talk to the exchange. Give each agent its own key so you can revoke one without stopping the others.
      </p>
      <form onSubmit={submit} className="flex flex-wrap items-end gap-3" noValidate>
        <div className="w-full max-w-sm">
          <TextField label="Key name" hint="For example the server the agent runs on." required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} error={fieldError(create.error, "name")} />
        </div>
        <Button type="submit" busy={create.pending} disabled={!name.trim()}>
          Create key
        </Button>
      </form>
      <ErrorAlert error={create.error ?? revoke.error} shownFields={["name"]} />
      {created && <NewKey created={created} onDone={() => setCreated(null)} />}
      {keys.loading && !keys.data ? (
        <Loading label="Loading API keys…" />
      ) : keys.error ? (
        <ErrorAlert error={keys.error} />
      ) : keys.data && keys.data.length === 0 ? (
        <p className="text-slate-700">No API keys yet.</p>
      ) : (
        keys.data && (
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table className="min-w-full text-left text-sm">
              <caption className="sr-only">API keys of your organization</caption>
              <thead className="border-b border-slate-300 bg-slate-100 text-slate-700">
                <tr>
                  <th scope="col" className="px-4 py-3 font-semibold">Name</th>
                  <th scope="col" className="px-4 py-3 font-semibold">Starts with</th>
                  <th scope="col" className="px-4 py-3 font-semibold">Created</th>
                  <th scope="col" className="px-4 py-3 font-semibold">Last used</th>
                  <th scope="col" className="px-4 py-3 font-semibold">Status</th>
                  <th scope="col" className="px-4 py-3"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200">
                {keys.data.map((key) => (
                  <tr key={key.id}>
                    <td className="px-4 py-3 font-medium text-slate-900">{key.name}</td>
                    <td className="px-4 py-3 font-mono">{key.prefix}…</td>
                    <td className="px-4 py-3">{formatDateTime(key.created_at)}</td>
                    <td className="px-4 py-3">{formatDateTime(key.last_used_at)}</td>
                    <td className="px-4 py-3">{key.revoked_at ? `Revoked ${formatDateTime(key.revoked_at)}` : "Active"}</td>
                    <td className="px-4 py-3 text-right">
                      {!key.revoked_at && (
                        <Button variant="secondary" onClick={() => setRevoking(key)}>
                          Revoke
                        </Button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this API key?"
        confirmLabel="Revoke"
        busy={revoke.pending}
        onConfirm={() => void confirmRevoke()}
        onCancel={() => setRevoking(null)}
      >
        <p>Agents using “{revoking?.name}” stop working immediately. This cannot be undone.</p>
      </ConfirmDialog>
    </div>
  );
}

function NewKey({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(created.key);
    setCopied(true);
  };
  return (
    <Alert tone="warning" title={`New key “${created.name}”: copy it now`}>
      <p>This is the only time the key is shown. Store it in your agent&apos;s configuration; the exchange keeps only a fingerprint.</p>
      <p className="mt-2 break-all rounded bg-white px-3 py-2 font-mono text-slate-900" aria-label="The new API key">
        {created.key}
      </p>
      <div className="mt-2 flex gap-2">
        <Button variant="secondary" onClick={() => void copy()}>
          {copied ? "Copied" : "Copy key"}
        </Button>
        <Button variant="secondary" onClick={onDone}>
          I have stored it
        </Button>
      </div>
    </Alert>
  );
}
