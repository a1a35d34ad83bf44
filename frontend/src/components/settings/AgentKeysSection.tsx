"use client";

import { Loading } from "@/components/Loading";
import { LoadError } from "@/components/Panel";
import { formatDateTime } from "@/lib/format";
import { organization } from "@/lib/hdx";
import { useResource } from "@/lib/hooks";
import type { AgentKey, ApiKey } from "@/lib/types";

function agentName(key: AgentKey, apiKeys: ApiKey[]): string {
  if (key.hosted) return "Hosted agent on the exchange";
  const apiKey = apiKeys.find((item) => item.id === key.api_key_id);
  return apiKey ? `${apiKey.name} (${apiKey.prefix}…)` : "An agent whose API key was deleted";
}

/** The public keys the organization's agents registered, so an administrator can compare fingerprints. */
export function AgentKeysSection() {
  const keys = useResource(organization.agentKeys, "agent-keys");
  const apiKeys = useResource(organization.apiKeys, "agent-keys:api-keys");

  return (
    <div className="space-y-4">
      <p className="text-slate-700">
        Each party agent registers an X25519 key (other organizations seal their shares to it) and an Ed25519 key (it signs its
        messages). Compare these fingerprints with the ones <code className="rounded bg-slate-100 px-1">hdx agent</code> prints on your
        server: if they differ, shares could be going to someone else.
      </p>
      {keys.loading && !keys.data ? (
        <Loading label="Loading agent keys…" />
      ) : keys.error || !keys.data ? (
        <LoadError resource={keys} />
      ) : keys.data.length === 0 ? (
        <p className="text-slate-700">No agent has registered keys yet. An agent registers its keys when it first starts with an API key.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full text-left text-sm">
            <caption className="sr-only">Agent key fingerprints of your organization</caption>
            <thead className="border-b border-slate-300 bg-slate-100 text-slate-700">
              <tr>
                <th scope="col" className="px-4 py-3 font-semibold">Agent</th>
                <th scope="col" className="px-4 py-3 font-semibold">X25519 fingerprint (shares)</th>
                <th scope="col" className="px-4 py-3 font-semibold">Ed25519 fingerprint (signatures)</th>
                <th scope="col" className="px-4 py-3 font-semibold">Registered</th>
                <th scope="col" className="px-4 py-3 font-semibold">Status</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200">
              {keys.data.map((key) => (
                <tr key={key.id}>
                  <th scope="row" className="px-4 py-3 font-medium text-slate-900">
                    {agentName(key, apiKeys.data ?? [])}
                  </th>
                  <td className="max-w-xs break-all px-4 py-3 font-mono text-xs">{key.x25519_fingerprint}</td>
                  <td className="max-w-xs break-all px-4 py-3 font-mono text-xs">{key.ed25519_fingerprint}</td>
                  <td className="px-4 py-3">{formatDateTime(key.created_at)}</td>
                  <td className="px-4 py-3">{key.superseded_at ? `Replaced ${formatDateTime(key.superseded_at)}` : "Current"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
