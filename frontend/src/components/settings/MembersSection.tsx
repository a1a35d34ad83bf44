"use client";

import { useState } from "react";
import { ErrorAlert } from "@/components/Alert";
import { Button } from "@/components/Button";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { Loading } from "@/components/Loading";
import { Pagination } from "@/components/Pagination";
import { formatDateTime } from "@/lib/format";
import { organization } from "@/lib/hdx";
import { useAction, useResource } from "@/lib/hooks";
import { ROLE_LABELS } from "@/lib/navigation";
import type { Member, MemberRole } from "@/lib/types";
import { InviteMember, MEMBER_ROLES } from "./InviteMember";

export function MembersSection({ me }: { me: string }) {
  const [page, setPage] = useState(1);
  const members = useResource(() => organization.members(page), String(page));
  const [leaving, setLeaving] = useState<Member | null>(null);
  const change = useAction(async (id: string, update: { role?: MemberRole; active?: boolean }) => {
    await organization.updateMember(id, update);
    members.reload();
    return true;
  });
  const deactivate = useAction(async (id: string) => {
    await organization.deactivateMember(id);
    members.reload();
    return true;
  });

  const confirmDeactivate = async () => {
    if (leaving) await deactivate.run(leaving.id);
    setLeaving(null);
  };

  return (
    <div className="space-y-4">
      <InviteMember onInvited={members.reload} />
      <ErrorAlert error={change.error ?? deactivate.error} />
      {members.loading && !members.data ? (
        <Loading label="Loading members…" />
      ) : members.error ? (
        <ErrorAlert error={members.error} />
      ) : (
        members.data && (
          <>
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
              <table className="min-w-full text-left text-sm">
                <caption className="sr-only">Members of your organization</caption>
                <thead className="border-b border-slate-300 bg-slate-100 text-slate-700">
                  <tr>
                    <th scope="col" className="px-4 py-3 font-semibold">Name</th>
                    <th scope="col" className="px-4 py-3 font-semibold">Role</th>
                    <th scope="col" className="px-4 py-3 font-semibold">Status</th>
                    <th scope="col" className="px-4 py-3 font-semibold">Last sign-in</th>
                    <th scope="col" className="px-4 py-3 font-semibold"><span className="sr-only">Actions</span></th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-200">
                  {members.data.items.map((member) => (
                    <MemberRow
                      key={member.id}
                      member={member}
                      isMe={member.id === me}
                      busy={change.pending || deactivate.pending}
                      onRole={(role) => void change.run(member.id, { role })}
                      onReactivate={() => void change.run(member.id, { active: true })}
                      onDeactivate={() => setLeaving(member)}
                    />
                  ))}
                </tbody>
              </table>
            </div>
            <Pagination page={page} size={members.data.size} total={members.data.total} onPage={setPage} />
          </>
        )
      )}
      <ConfirmDialog
        open={leaving !== null}
        title="Deactivate this account?"
        confirmLabel="Deactivate"
        busy={deactivate.pending}
        onConfirm={() => void confirmDeactivate()}
        onCancel={() => setLeaving(null)}
      >
        <p>{leaving?.full_name || leaving?.email} will be signed out everywhere and can no longer sign in. You can reactivate the account later.</p>
      </ConfirmDialog>
    </div>
  );
}

interface RowProps {
  member: Member;
  isMe: boolean;
  busy: boolean;
  onRole: (role: MemberRole) => void;
  onReactivate: () => void;
  onDeactivate: () => void;
}

function MemberRow({ member, isMe, busy, onRole, onReactivate, onDeactivate }: RowProps) {
  const status = !member.active ? "Deactivated" : member.email_verified_at ? "Active" : "Invited";
  return (
    <tr>
      <td className="px-4 py-3">
        <span className="block font-medium text-slate-900">
          {member.full_name || member.email}
          {isMe && " (you)"}
        </span>
        <span className="block text-slate-600">{member.email}</span>
      </td>
      <td className="px-4 py-3">
        {isMe || member.role === "admin" ? (
          ROLE_LABELS[member.role]
        ) : (
          <>
            <label htmlFor={`role-${member.id}`} className="sr-only">
              Role of {member.full_name || member.email}
            </label>
            <select
              id={`role-${member.id}`}
              className="rounded-md border border-slate-400 bg-white px-2 py-1"
              value={member.role}
              disabled={busy}
              onChange={(e) => onRole(e.target.value as MemberRole)}
            >
              {MEMBER_ROLES.map((role) => (
                <option key={role} value={role}>
                  {ROLE_LABELS[role]}
                </option>
              ))}
            </select>
          </>
        )}
      </td>
      <td className="px-4 py-3">{status}</td>
      <td className="px-4 py-3">{formatDateTime(member.last_login_at)}</td>
      <td className="px-4 py-3 text-right">
        {!isMe &&
          (member.active ? (
            <Button variant="secondary" disabled={busy} onClick={onDeactivate}>
              Deactivate
            </Button>
          ) : (
            <Button variant="secondary" disabled={busy} onClick={onReactivate}>
              Reactivate
            </Button>
          ))}
      </td>
    </tr>
  );
}
